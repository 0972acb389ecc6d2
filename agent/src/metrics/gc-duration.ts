import { constants, type NodeGCPerformanceDetail, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

export const GC_DURATION_METRIC = 'nodejs_gc_duration_seconds';

const KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * prom-client's `nodejs_gc_duration_seconds` (same name, help, labels and buckets), but counting every GC: Node
 * delivers GC entries in batches, and prom-client records only the first entry of each, so five major GCs in one
 * tick counted once. The leak alert waits for major GCs, so it must see all of them. Returns what stops observing.
 */
export function registerGcDuration(registry: Registry): () => void {
  if (registry.getSingleMetric(GC_DURATION_METRIC)) return () => undefined;
  const histogram = new Histogram({
    name: GC_DURATION_METRIC,
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
  });
  const byKind = new Map(Object.entries(KINDS).map(([kind, name]) => [Number(kind), histogram.labels(name)]));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { readonly detail?: NodeGCPerformanceDetail }).detail?.kind;
      if (kind !== undefined) byKind.get(kind)?.observe(entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
