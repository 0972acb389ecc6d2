import type { LineSeries } from '../analysis';
import { MEMORY_KINDS, type MemoryKind, RECORDED } from '../grafana/queries';
import { ALERT_NAMES } from '../grafana/rules/build-rules';
import { mebibytes } from './progress';
import type { PrometheusServer } from './prometheus-server';

export interface FloorStatus {
  readonly bytes: number;
  readonly growthBytesPerSecond?: number;
}

export type AlertState = 'firing' | 'pending' | 'inactive';

export interface HeapStatus {
  readonly heapUsedBytes?: number;
  /** The post-GC floors by memory kind; a kind is absent until the agent has seen a major GC. */
  readonly floors: Partial<Record<MemoryKind, FloorStatus>>;
  readonly leakAlert: AlertState;
  /** The floors the leak alert is pending or firing for. */
  readonly leakAlertMemory: readonly MemoryKind[];
}

export function describeHeapStatus(status: HeapStatus): string {
  const floors = MEMORY_KINDS.flatMap((memory) => {
    const floor = status.floors[memory];
    if (floor === undefined) return [];
    const growth =
      floor.growthBytesPerSecond === undefined ? '' : ` (${(floor.growthBytesPerSecond / 1024).toFixed(1)} KiB/s)`;
    return [`${memory} ${mebibytes(floor.bytes)}${growth}`];
  });
  const parts = [
    `heap used ${status.heapUsedBytes === undefined ? '–' : mebibytes(status.heapUsedBytes)}`,
    `floors ${floors.length === 0 ? '– (waiting for a major GC)' : floors.join(', ')}`,
  ];
  const memory = status.leakAlertMemory.length > 0 ? ` (${status.leakAlertMemory.join(', ')})` : '';
  return `${parts.join(' · ')} · ${ALERT_NAMES.leakSuspected} ${status.leakAlert}${memory}`;
}

/** Reads what Prometheus knows about one task's memory: the same recorded series the alerts and dashboards use. */
export class HeapWatch {
  private readonly selector: string;

  constructor(
    private readonly prometheus: PrometheusServer,
    taskId: string,
  ) {
    this.selector = `task_id="${taskId}"`;
  }

  async status(): Promise<HeapStatus> {
    const [heapUsed, floors, growth, alerts] = await Promise.all([
      this.first(`nodejs_heap_size_used_bytes{${this.selector}}`),
      this.prometheus.query(`${RECORDED.memoryFloor}{${this.selector}}`),
      this.prometheus.query(`${RECORDED.memoryFloorGrowth}{${this.selector}}`),
      this.prometheus.query(`ALERTS{alertname="${ALERT_NAMES.leakSuspected}",${this.selector}}`),
    ]);
    const byMemory: Partial<Record<MemoryKind, FloorStatus>> = {};
    for (const sample of floors) {
      const memory = sample.metric.memory as MemoryKind;
      const rate = growth.find((candidate) => candidate.metric.memory === memory)?.value;
      byMemory[memory] = {
        bytes: sample.value,
        growthBytesPerSecond: rate !== undefined && Number.isFinite(rate) ? rate : undefined,
      };
    }
    const inState = (state: AlertState) => alerts.filter((sample) => sample.metric.alertstate === state);
    const firing = inState('firing');
    const active = firing.length > 0 ? firing : inState('pending');
    return {
      heapUsedBytes: heapUsed,
      floors: byMemory,
      leakAlert: firing.length > 0 ? 'firing' : active.length > 0 ? 'pending' : 'inactive',
      leakAlertMemory: active.map((sample) => sample.metric.memory as MemoryKind),
    };
  }

  /** Heap used and the post-GC floors over the drill, for the report's memory chart. */
  async memorySeries(startSeconds: number, endSeconds: number): Promise<LineSeries[]> {
    const range = {
      start: startSeconds,
      end: endSeconds,
      stepSeconds: Math.max(1, Math.round((endSeconds - startSeconds) / 300)),
    };
    const queries = [
      { label: 'heap used', promql: `nodejs_heap_size_used_bytes{${this.selector}}` },
      ...MEMORY_KINDS.map((memory) => ({
        label: `${memory} floor (post-GC)`,
        promql: `${RECORDED.memoryFloor}{memory="${memory}",${this.selector}}`,
      })),
    ];
    const series = await Promise.all(
      queries.map(async ({ label, promql }) => {
        const [first] = await this.prometheus.queryRange(promql, range);
        return { label, points: first?.values ?? [] };
      }),
    );
    return series.filter((line) => line.points.length > 0);
  }

  private async first(promql: string): Promise<number | undefined> {
    const [sample] = await this.prometheus.query(promql);
    return sample === undefined || !Number.isFinite(sample.value) ? undefined : sample.value;
  }
}
