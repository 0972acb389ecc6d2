import { constants, type NodeGCPerformanceDetail, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

export const HEAP_SPACE_AFTER_GC_METRIC = 'heapwatch_heap_space_after_gc_bytes';
export const MEMORY_AFTER_GC_METRIC = 'heapwatch_memory_after_gc_bytes';

/** Values of the `type` label of `heapwatch_memory_after_gc_bytes`. */
export type MemoryAfterGcType = 'external' | 'array_buffers' | 'rss';

/** `old_space` → `old`, `large_object_space` → `large_object`: the `space` label prom-client puts on its own gauges. */
export function spaceLabel(spaceName: string): string {
  return spaceName.endsWith('_space') ? spaceName.slice(0, -'_space'.length) : spaceName;
}

/**
 * The post-GC floors the alert rules build on: each heap space's used bytes, external memory, ArrayBuffers and RSS,
 * read when the agent observes a major GC (mark-compact) and held until the next one. Nothing runs between major
 * GCs; the reading is one `getHeapSpaceStatistics()` and one `process.memoryUsage()`. Until the first major GC the
 * gauges have no samples (a made-up value would read as a floor). Returns what stops observing.
 */
export function registerAfterGcGauges(registry: Registry): () => void {
  if (registry.getSingleMetric(HEAP_SPACE_AFTER_GC_METRIC)) return () => undefined;
  const spaces = new Gauge({
    name: HEAP_SPACE_AFTER_GC_METRIC,
    help: 'Used bytes of each V8 heap space right after the last major GC (mark-compact) the agent observed.',
    labelNames: ['space'],
    registers: [registry],
  });
  const memory = new Gauge({
    name: MEMORY_AFTER_GC_METRIC,
    help: 'External memory, ArrayBuffers and resident set size in bytes right after the last major GC the agent observed.',
    labelNames: ['type'],
    registers: [registry],
  });
  const record = () => {
    for (const space of getHeapSpaceStatistics()) {
      spaces.set({ space: spaceLabel(space.space_name) }, space.space_used_size);
    }
    const usage = process.memoryUsage();
    const values: Readonly<Record<MemoryAfterGcType, number>> = {
      external: usage.external,
      array_buffers: usage.arrayBuffers,
      rss: usage.rss,
    };
    for (const [type, bytes] of Object.entries(values)) memory.set({ type }, bytes);
  };
  const observer = new PerformanceObserver((list) => {
    // Node delivers GC entries in batches after the fact: one reading per batch that holds a major GC is as close
    // to "right after" as an observer gets.
    if (list.getEntries().some(isMajorGc)) record();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

function isMajorGc(entry: PerformanceEntry): boolean {
  const detail = (entry as PerformanceEntry & { readonly detail?: NodeGCPerformanceDetail }).detail;
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}
