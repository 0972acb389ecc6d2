import { stringify } from 'yaml';

export interface AlertManagerDefinitionOptions {
  /** ARN of the SNS topic that receives the alerts (may be a CDK token). */
  readonly topicArn: string;
  /** Region of the topic, for the receiver's SigV4 signing (may be a CDK token). */
  readonly region: string;
}

/** Name of the only receiver; alerts of every heapwatch rule go to the alarm topic. */
export const SNS_RECEIVER_NAME = 'heapwatch-sns';

/** Labels an alert is grouped by: one notification per leaking task, so the collector captures that task. */
export const ALERT_GROUP_BY = ['alertname', 'cluster', 'service', 'task_id'];

/**
 * The Amazon Managed Service for Prometheus alert manager definition: the Alertmanager configuration wrapped in
 * `alertmanager_config`, with a single SNS receiver.
 */
export function renderAlertManagerDefinition(options: AlertManagerDefinitionOptions): string {
  const alertmanagerConfig = {
    route: {
      receiver: SNS_RECEIVER_NAME,
      group_by: ALERT_GROUP_BY,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
    },
    receivers: [
      {
        name: SNS_RECEIVER_NAME,
        sns_configs: [
          {
            topic_arn: options.topicArn,
            sigv4: { region: options.region },
            subject: 'heapwatch {{ .Status }}: {{ .CommonLabels.alertname }} {{ .CommonLabels.service }}',
            attributes: {
              source: 'heapwatch',
              protocol: 'v1',
              alertname: '{{ .CommonLabels.alertname }}',
            },
          },
        ],
      },
    ],
  };
  return stringify({ alertmanager_config: stringify(alertmanagerConfig, { lineWidth: 0 }) }, { lineWidth: 0 });
}
