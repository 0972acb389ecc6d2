import { Counter, type Registry } from 'prom-client';

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
  const existing = registry.getSingleMetric(SNAPSHOTS_TOTAL_METRIC);
  if (existing) return existing as SnapshotCounter;
  const counter = new Counter({
    name: SNAPSHOTS_TOTAL_METRIC,
    help: 'Heap snapshot requests by result: ok, aborted (client left mid-download), failed, or why one was refused.',
    labelNames: ['result'],
    registers: [registry],
  });
  // Every result starts at 0 so rate() and alerts see the series before the first increment.
  for (const result of SNAPSHOT_RESULTS) counter.inc({ result }, 0);
  return counter;
}
