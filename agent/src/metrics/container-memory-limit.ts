import type { Registry } from 'prom-client';
import type { ContainerMemoryReader } from '../cgroup-memory';
import { OptionalGauge } from './optional-gauge';

export const CONTAINER_MEMORY_LIMIT_METRIC = 'heapwatch_container_memory_limit_bytes';

/** cgroup memory limit; absent when the container is unlimited or the cgroup is unreadable. */
export function registerContainerMemoryLimit(registry: Registry, memory: ContainerMemoryReader): void {
  if (registry.getSingleMetric(CONTAINER_MEMORY_LIMIT_METRIC)) return;
  new OptionalGauge(
    CONTAINER_MEMORY_LIMIT_METRIC,
    'Memory limit of the container in bytes (cgroup v2 memory.max or v1 memory.limit_in_bytes); absent when unlimited.',
    registry,
    () => memory.read().limitBytes,
  );
}
