import { stringify } from 'yaml';
import { type RelabelConfig, SCRAPE_JOB_NAME, taskLabelRelabelConfigs } from '../../grafana/scrape-labels';

/**
 * The ECS service tags `watch()` puts on a watched service. The scraper and the collector find watched services and
 * their admin endpoints by these tags alone, so the Heapwatch stack never references a service's stack.
 */
export const WATCH_TAGS = {
  /** The agent's admin port, e.g. `9464`. */
  adminPort: 'heapwatch:admin-port',
  /** Prefix of the admin paths, `''` for the admin server or e.g. `/_heapwatch` for handlers mounted in an app. */
  adminPath: 'heapwatch:admin-path',
} as const;

/** A tag's meta label in Prometheus's ECS discovery: `__meta_ecs_tag_service_` + the key with every invalid character as `_`. */
export function serviceTagLabel(key: string): string {
  return `__meta_ecs_tag_service_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

export interface ScrapeConfigOptions {
  /** AWS region of the cluster and the workspace. */
  readonly region: string;
  /** ARN of the only cluster to discover tasks in. */
  readonly clusterArn: string;
  /** `<workspace prometheus endpoint>api/v1/remote_write` */
  readonly remoteWriteUrl: string;
  /** @default '30s' */
  readonly scrapeInterval?: string;
  /** How often the ECS API is asked for tasks. @default '60s' */
  readonly refreshInterval?: string;
}

export { SCRAPE_JOB_NAME } from '../../grafana/scrape-labels';

/**
 * The Prometheus (≥ 3.8, agent mode) configuration: ECS discovery of one cluster; only the tasks of services tagged
 * by `watch()` (WATCH_TAGS), each scraped on its tagged admin port and path, relabelled to `cluster`, `service` and
 * `task_id` (the ECS task ID, as the collector and the snapshot names use it), and remote-written to AMP with SigV4.
 */
export function renderScrapeConfig(options: ScrapeConfigOptions): string {
  const interval = options.scrapeInterval ?? '30s';
  const config = {
    global: { scrape_interval: interval, scrape_timeout: '10s' },
    scrape_configs: [
      {
        job_name: SCRAPE_JOB_NAME,
        metrics_path: '/metrics',
        aws_sd_configs: [
          {
            role: 'ecs',
            region: options.region,
            clusters: [options.clusterArn],
            refresh_interval: options.refreshInterval ?? '60s',
          },
        ],
        relabel_configs: relabelConfigs(),
      },
    ],
    remote_write: [
      {
        url: options.remoteWriteUrl,
        sigv4: { region: options.region },
        queue_config: { max_samples_per_send: 1000, max_shards: 20, capacity: 2500 },
      },
    ],
  };
  return stringify(config, { lineWidth: 0 });
}

function relabelConfigs(): RelabelConfig[] {
  const port = serviceTagLabel(WATCH_TAGS.adminPort);
  const path = serviceTagLabel(WATCH_TAGS.adminPath);
  return [
    { source_labels: [port], regex: '[0-9]{1,5}', action: 'keep' },
    { source_labels: ['__meta_ecs_last_status'], regex: 'RUNNING', action: 'keep' },
    {
      source_labels: ['__meta_ecs_ip_address', port],
      separator: ';',
      regex: '(.+);([0-9]+)',
      target_label: '__address__',
      replacement: '$1:$2',
    },
    { source_labels: [path], regex: '(/.*)?', target_label: '__metrics_path__', replacement: '$1/metrics' },
    ...taskLabelRelabelConfigs(),
    { source_labels: ['__meta_ecs_availability_zone'], target_label: 'availability_zone' },
  ];
}
