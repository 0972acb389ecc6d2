/**
 * How a scraped ECS task gets the labels every rule and panel selects on. The AWS scraper (lib/scraper) applies
 * these relabellings to ECS discovery's meta labels; the local Prometheus of the drill and tests (drill/) gives its
 * loopback targets the same meta labels, so both run exactly this relabelling.
 */

/** Job name of the heapwatch scrape; the rules and dashboards select on the task labels, not on the job. */
export const SCRAPE_JOB_NAME = 'heapwatch';

/** Meta labels Prometheus's ECS discovery (`aws_sd_configs` role `ecs`, Prometheus ≥ 3.8) puts on a task. */
export const ECS_META_LABELS = {
  cluster: '__meta_ecs_cluster',
  service: '__meta_ecs_service',
  taskArn: '__meta_ecs_task_arn',
} as const;

export type RelabelConfig = Record<string, string | string[]>;

/** `task_id` (last segment of the task ARN), `service`, `cluster`, and `instance` = task id. */
export function taskLabelRelabelConfigs(): RelabelConfig[] {
  return [
    { source_labels: [ECS_META_LABELS.taskArn], regex: '.*/([^/]+)', target_label: 'task_id' },
    { source_labels: [ECS_META_LABELS.service], target_label: 'service' },
    { source_labels: [ECS_META_LABELS.cluster], target_label: 'cluster' },
    { source_labels: ['task_id'], target_label: 'instance' },
  ];
}
