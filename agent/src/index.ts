export * from './admin-server';
export type { CgroupPaths, ContainerMemory } from './cgroup-memory';
export { ContainerMemoryReader, readContainerMemory } from './cgroup-memory';
export * from './metrics';
export * from './mount';
export * from './options';
export * from './options-from-env';
export {
  DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES,
  type SamplingHeapProfile,
  type SamplingHeapProfileNode,
} from './profile/heap-sampler';
export type { HeadroomOptions, HeadroomRefusal } from './snapshot/headroom';
export { DEFAULT_CAPTURE_DISK_FACTOR, DEFAULT_CAPTURE_MEMORY_FACTOR } from './snapshot/headroom';
export * from './task-id';
