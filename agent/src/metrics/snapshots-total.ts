import type { Counter, Registry } from 'prom-client';
import { registerResultsCounter } from './results-counter';

export const SNAPSHOTS_TOTAL_METRIC = 'heapwatch_snapshots_total';

/** Every way a `POST /heap/snapshot` can end; a fixed set, so the label stays bounded. */
export const SNAPSHOT_RESULTS = [
  'ok',
  'aborted',
  'failed',
  'unauthorized',
  'busy',
  'insufficient-memory',
  'insufficient-disk',
  'disabled',
] as const;
export type SnapshotResult = (typeof SNAPSHOT_RESULTS)[number];

export type SnapshotCounter = Counter<'result'>;

export function registerSnapshotsTotal(registry: Registry): SnapshotCounter {
  return registerResultsCounter(
    registry,
    SNAPSHOTS_TOTAL_METRIC,
    'Heap snapshot requests by result: ok, aborted (client left mid-download), failed, or why one was refused.',
    SNAPSHOT_RESULTS,
  );
}
