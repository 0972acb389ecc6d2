export * from './dominators';
export * from './heap-graph';
export * from './heap-snapshot';
export * from './parse-snapshot';
export type { SnapshotLayout } from './snapshot-meta';
