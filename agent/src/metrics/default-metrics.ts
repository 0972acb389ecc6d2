import type { Registry } from 'prom-client';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal';
import processHandles from 'prom-client/lib/metrics/processHandles';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors';
import processRequests from 'prom-client/lib/metrics/processRequests';
import processResources from 'prom-client/lib/metrics/processResources';
import processStartTime from 'prom-client/lib/metrics/processStartTime';
import version from 'prom-client/lib/metrics/version';
import { registerGcDuration } from './gc-duration';

/** prom-client's default metric modules the agent registers as they are (its `gc` module is replaced). */
export const PROM_CLIENT_MODULES = {
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLag,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
} as const;

/** The modules behind `nodejs_active_handles*`, `nodejs_active_requests*` and `nodejs_active_resources*`. */
export const ACTIVE_HANDLE_MODULES = { processHandles, processRequests, processResources } as const;

/** prom-client default metrics left out unless `activeHandleMetrics` is set. */
export const ACTIVE_HANDLE_METRICS: readonly string[] = Object.values(ACTIVE_HANDLE_MODULES).flatMap(
  (module) => module.metricNames,
);

/**
 * What prom-client's `collectDefaultMetrics` registers, module by module: the GC histogram is heapwatch's own
 * (gc-duration.ts: prom-client's undercounts), and the active handle metrics only when asked (collecting them walks
 * every handle of the app, and nothing in heapwatch reads them). Returns what stops the GC observer.
 */
export function registerDefaultMetrics(
  registry: Registry,
  options: { readonly activeHandleMetrics: boolean },
): () => void {
  const modules = options.activeHandleMetrics
    ? { ...PROM_CLIENT_MODULES, ...ACTIVE_HANDLE_MODULES }
    : PROM_CLIENT_MODULES;
  for (const register of Object.values(modules)) register(registry, { eventLoopMonitoringPrecision: 10 });
  return registerGcDuration(registry);
}
