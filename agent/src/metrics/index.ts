import { Registry } from 'prom-client';
import { type CgroupPaths, ContainerMemoryReader } from '../cgroup-memory';
import { registerAfterGcGauges } from './after-gc';
import { registerContainerMemoryLimit } from './container-memory-limit';
import { registerContainerMemoryUsage } from './container-memory-usage';
import { registerDefaultMetrics } from './default-metrics';
import { registerHeapSizeLimit } from './heap-size-limit';
import { type ProfileCounter, registerProfilesTotal } from './profiles-total';
import { registerSnapshotsTotal, type SnapshotCounter } from './snapshots-total';

export * from './after-gc';
export * from './container-memory-limit';
export * from './container-memory-usage';
export * from './gc-duration';
export * from './heap-size-limit';
export * from './profiles-total';
export * from './snapshots-total';
export * from './warm-up';

export interface AgentMetricsOptions extends CgroupPaths {
  /** @default - a new registry */
  readonly registry?: Registry;
  /** Set to false when the registry already collects prom-client's default metrics. @default true */
  readonly collectDefaultMetrics?: boolean;
  /**
   * Keep prom-client's `nodejs_active_handles*`, `nodejs_active_requests*` and `nodejs_active_resources*`. Nothing in
   * heapwatch reads them, and collecting them walks every handle of the app at each scrape.
   * @default false
   */
  readonly activeHandleMetrics?: boolean;
}

export { ACTIVE_HANDLE_METRICS } from './default-metrics';

export interface AgentMetrics {
  readonly registry: Registry;
  readonly snapshots: SnapshotCounter;
  readonly profiles: ProfileCounter;
  /** Stops the GC observers (the metrics stay registered). */
  close(): void;
}

export function createAgentMetrics(options: AgentMetricsOptions = {}): AgentMetrics {
  const registry = options.registry ?? new Registry();
  const closeDefaultMetrics =
    (options.collectDefaultMetrics ?? true)
      ? registerDefaultMetrics(registry, { activeHandleMetrics: options.activeHandleMetrics ?? false })
      : () => undefined;
  const closeAfterGc = registerAfterGcGauges(registry);
  registerHeapSizeLimit(registry);
  const memory = new ContainerMemoryReader(options);
  registerContainerMemoryLimit(registry, memory);
  registerContainerMemoryUsage(registry, memory);
  return {
    registry,
    snapshots: registerSnapshotsTotal(registry),
    profiles: registerProfilesTotal(registry),
    close: () => {
      closeDefaultMetrics();
      closeAfterGc();
    },
  };
}
