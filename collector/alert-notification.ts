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
 * Alertmanager's default `sns.default.message` (what AMP sends without a custom template): "Alerts Firing:" and
 * "Alerts Resolved:" sections, each alert a "Labels:" block of ` - name = value` lines.
 */
function alertsFromText(message: string): NotifiedAlert[] {
  const alerts: NotifiedAlert[] = [];
  let status: string | undefined;
  let labels: Record<string, string> | undefined;
  for (const raw of message.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('Alerts Firing:')) status = 'firing';
    else if (line.startsWith('Alerts Resolved:')) status = 'resolved';
    else if (line === 'Labels:' && status !== undefined) {
      labels = {};
      alerts.push({ status, labels });
    } else if (/^(Annotations:|Source:|Value:|Silence:|Dashboard:|Panel:)/.test(line)) labels = undefined;
    else if (labels !== undefined) {
      const pair = /^- ([A-Za-z_][A-Za-z0-9_]*) = (.*)$/.exec(line);
      if (pair) labels[pair[1]] = pair[2].trim();
    }
  }
  return alerts;
}

/** Labels may carry ARNs (`arn:aws:ecs:…:service/prod/web`); ECS APIs and S3 keys want the name. */
function nameFromArn(value: string): string {
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

function parseAlerts(message: string): NotifiedAlert[] | undefined {
  try {
    const parsed = JSON.parse(message) as { alerts?: NotifiedAlert[] };
    return Array.isArray(parsed.alerts) ? parsed.alerts : [];
  } catch {
    const alerts = alertsFromText(message);
    return alerts.length > 0 ? alerts : undefined;
  }
}

/**
 * Reads an Alertmanager notification as AMP sends it to SNS — with the JSON `sns.default.message` template of the AMP
 * guide (`{receiver, status, alerts: [{status, labels, annotations, startsAt, ...}]}`) or Alertmanager's default text
 * — and returns one series request per task with a firing snapshot alert.
 */
export function seriesRequestsFromNotification(message: string): AlertDecision {
  const alerts = parseAlerts(message);
  if (alerts === undefined) {
    return {
      requests: [],
      ignored: [
        `the notification is neither Alertmanager JSON nor its default text (${JSON.stringify(message.slice(0, 80))}…): configure AMP's alert manager with the JSON "sns.default.message" template`,
      ],
    };
  }
  const requests = new Map<string, SeriesRequest>();
  const ignored: string[] = [];
  for (const alert of alerts) {
    const labels = alert.labels ?? {};
    const name = labels.alertname ?? '(no alertname)';
    if (!SNAPSHOT_ALERTS.includes(name)) {
      ignored.push(`${name}: not a snapshot alert`);
    } else if (alert.status !== 'firing') {
      ignored.push(`${name}: ${alert.status ?? 'no status'}, not firing`);
    } else if (labels.memory === 'native') {
      ignored.push(`${name}: memory=native, which heap snapshots and profiles do not show (see the alert's runbook)`);
    } else if (!labels.cluster || !labels.service || !labels.task_id) {
      ignored.push(`${name}: needs the labels cluster, service and task_id (got ${Object.keys(labels).join(', ')})`);
    } else {
      const [cluster, service, taskId] = [labels.cluster, labels.service, labels.task_id].map(nameFromArn);
      const key = `${cluster}/${service}/${taskId}`;
      const memory = labels.memory ? ` (memory=${labels.memory})` : '';
      if (!requests.has(key)) requests.set(key, { cluster, service, taskId, reason: `alert ${name}${memory}` });
    }
  }
  return { requests: [...requests.values()], ignored };
}
