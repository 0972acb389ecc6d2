import type { LineSeries } from '../analysis';
import { RECORDED } from '../grafana/queries';
import { ALERT_NAMES } from '../grafana/rules/build-rules';
import { mebibytes } from './progress';
import type { PrometheusServer } from './prometheus-server';

export interface HeapStatus {
  readonly oldSpaceBytes?: number;
  readonly floorBytes?: number;
  readonly growthBytesPerSecond?: number;
  readonly leakAlertFiring: boolean;
  readonly leakAlertPending: boolean;
}

export function describeHeapStatus(status: HeapStatus): string {
  const parts = [
    `old space ${status.oldSpaceBytes === undefined ? '–' : mebibytes(status.oldSpaceBytes)}`,
    `floor ${status.floorBytes === undefined ? '– (recording…)' : mebibytes(status.floorBytes)}`,
    `growth ${status.growthBytesPerSecond === undefined ? '–' : `${(status.growthBytesPerSecond / 1024).toFixed(1)} KiB/s`}`,
  ];
  const alert = status.leakAlertFiring ? 'firing' : status.leakAlertPending ? 'pending' : 'inactive';
  return `${parts.join(' · ')} · ${ALERT_NAMES.leakSuspected} ${alert}`;
}

/** Reads what Prometheus knows about one task's heap: the same recorded series the alert and dashboards use. */
export class HeapWatch {
  private readonly selector: string;

  constructor(
    private readonly prometheus: PrometheusServer,
    taskId: string,
  ) {
    this.selector = `task_id="${taskId}"`;
  }

  async status(): Promise<HeapStatus> {
    const [oldSpace, floor, growth, alerts] = await Promise.all([
      this.first(`nodejs_heap_space_size_used_bytes{space="old",${this.selector}}`),
      this.first(`${RECORDED.oldSpaceFloor}{${this.selector}}`),
      this.first(`${RECORDED.oldSpaceFloorGrowth}{${this.selector}}`),
      this.prometheus.query(`ALERTS{alertname="${ALERT_NAMES.leakSuspected}",${this.selector}}`),
    ]);
    return {
      oldSpaceBytes: oldSpace,
      floorBytes: floor,
      growthBytesPerSecond: growth,
      leakAlertFiring: alerts.some((sample) => sample.metric.alertstate === 'firing'),
      leakAlertPending: alerts.some((sample) => sample.metric.alertstate === 'pending'),
    };
  }

  /** Old space used and its post-GC floor over the drill, for the report's heap chart. */
  async oldSpaceSeries(startSeconds: number, endSeconds: number): Promise<LineSeries[]> {
    const range = {
      start: startSeconds,
      end: endSeconds,
      stepSeconds: Math.max(1, Math.round((endSeconds - startSeconds) / 300)),
    };
    const queries = [
      { label: 'old space used', promql: `nodejs_heap_space_size_used_bytes{space="old",${this.selector}}` },
      { label: 'old-space floor (post-GC)', promql: `${RECORDED.oldSpaceFloor}{${this.selector}}` },
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
