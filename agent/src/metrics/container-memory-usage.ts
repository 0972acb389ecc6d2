import type { Registry } from 'prom-client';
import type { ContainerMemoryReader } from '../cgroup-memory';
import { OptionalGauge } from './optional-gauge';

export const CONTAINER_MEMORY_USAGE_METRIC = 'heapwatch_container_memory_usage_bytes';

/** cgroup memory usage, the number the kernel's OOM killer compares with the limit. */
export function registerContainerMemoryUsage(registry: Registry, memory: ContainerMemoryReader): void {
  if (registry.getSingleMetric(CONTAINER_MEMORY_USAGE_METRIC)) return;
  new OptionalGauge(
    CONTAINER_MEMORY_USAGE_METRIC,
    'Memory used by the container in bytes (cgroup v2 memory.current or v1 memory.usage_in_bytes); absent when unknown.',
    registry,
    () => memory.read().usageBytes,
  );
}
