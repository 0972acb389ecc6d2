import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

export const HEAP_SIZE_LIMIT_METRIC = 'heapwatch_heap_size_limit_bytes';

/** V8's `heap_size_limit`: the old-space growth alert compares against it. */
export function registerHeapSizeLimit(registry: Registry): void {
  if (registry.getSingleMetric(HEAP_SIZE_LIMIT_METRIC)) return;
  new Gauge({
    name: HEAP_SIZE_LIMIT_METRIC,
    help: 'Maximum size of the V8 heap in bytes (heap_size_limit), beyond which the process dies of an out-of-memory error.',
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
}
