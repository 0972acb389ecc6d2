import type { SeriesRequest } from './series';

/** Alerts that start a snapshot series; everything else is ignored. */
export const SNAPSHOT_ALERTS: readonly string[] = ['HeapwatchLeakSuspected', 'HeapwatchHeapExhaustionPredicted'];

export interface AlertDecision {
  readonly requests: SeriesRequest[];
  /** Why alerts of the notification were skipped, for the log. */
  readonly ignored: string[];
}

interface NotifiedAlert {
  readonly status?: string;
  readonly labels?: Record<string, string>;
}

/**
 * Reads an Alertmanager notification as AMP sends it to SNS with the JSON `sns.default.message` template
 * (the `{receiver, status, alerts: [{status, labels, annotations, startsAt, ...}]}` shape) and returns one series
 * request per task with a firing snapshot alert.
 */
export function seriesRequestsFromNotification(message: string): AlertDecision {
  let parsed: { alerts?: NotifiedAlert[] };
  try {
    parsed = JSON.parse(message) as { alerts?: NotifiedAlert[] };
  } catch {
    return {
      requests: [],
      ignored: [
        `the notification is not JSON (${JSON.stringify(message.slice(0, 80))}…): configure AMP's alert manager with the JSON "sns.default.message" template`,
      ],
    };
  }
  const requests = new Map<string, SeriesRequest>();
  const ignored: string[] = [];
  for (const alert of parsed.alerts ?? []) {
    const labels = alert.labels ?? {};
    const name = labels.alertname ?? '(no alertname)';
    if (!SNAPSHOT_ALERTS.includes(name)) {
      ignored.push(`${name}: not a snapshot alert`);
    } else if (alert.status !== 'firing') {
      ignored.push(`${name}: ${alert.status ?? 'no status'}, not firing`);
    } else if (!labels.cluster || !labels.service || !labels.task_id) {
      ignored.push(`${name}: needs the labels cluster, service and task_id (got ${Object.keys(labels).join(', ')})`);
    } else {
      const key = `${labels.cluster}/${labels.service}/${labels.task_id}`;
      if (!requests.has(key)) {
        requests.set(key, {
          cluster: labels.cluster,
          service: labels.service,
          taskId: labels.task_id,
          reason: `alert ${name}`,
        });
      }
    }
  }
  return { requests: [...requests.values()], ignored };
}
