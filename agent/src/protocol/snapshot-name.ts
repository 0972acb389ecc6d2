import { assertTaskId } from './token';

/** ISO-8601 UTC time with `:` replaced by `-`, safe in file names and S3 keys and sorting by time. */
export function snapshotTimestamp(at: Date): string {
  return at.toISOString().replace(/:/g, '-');
}

/** What the admin port captures: a full heap snapshot, or the sampling heap profiler's live allocations. */
export type CaptureKind = 'heapsnapshot' | 'heapprofile';

/** `<taskId>-<iso time>.<kind>`, the `Content-Disposition` file name. */
export function captureFileName(taskId: string, at: Date, kind: CaptureKind): string {
  assertTaskId(taskId);
  return `${taskId}-${snapshotTimestamp(at)}.${kind}`;
}

/** `<taskId>-<iso time>.heapsnapshot` */
export function snapshotFileName(taskId: string, at: Date): string {
  return captureFileName(taskId, at, 'heapsnapshot');
}

/** `<cluster>/<service>/<taskId>/` — every snapshot and report of one task lives under it. */
export function taskPrefix(cluster: string, service: string, taskId: string): string {
  assertTaskId(taskId);
  for (const [name, value] of [
    ['cluster', cluster],
    ['service', service],
  ]) {
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(value)) {
      throw new Error(`${name} ${JSON.stringify(value)} is invalid in an S3 key: use A-Z a-z 0-9 . _ -`);
    }
  }
  return `${cluster}/${service}/${taskId}/`;
}

/** `<cluster>/<service>/<taskId>/<iso time>.<kind>` */
export function captureKey(cluster: string, service: string, taskId: string, at: Date, kind: CaptureKind): string {
  return `${taskPrefix(cluster, service, taskId)}${snapshotTimestamp(at)}.${kind}`;
}

/** `<cluster>/<service>/<taskId>/<iso time>.heapsnapshot` */
export function snapshotKey(cluster: string, service: string, taskId: string, at: Date): string {
  return captureKey(cluster, service, taskId, at, 'heapsnapshot');
}
