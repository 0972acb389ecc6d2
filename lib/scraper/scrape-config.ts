import { stringify } from 'yaml';
import { type RelabelConfig, SCRAPE_JOB_NAME, taskLabelRelabelConfigs } from '../../grafana/scrape-labels';

/** One watched ECS service: its name and the port its heapwatch agent serves `/metrics` on. */
export interface ScrapeTarget {
  readonly serviceName: string;
  readonly adminPort: number;
}

export interface ScrapeConfigOptions {
  /** AWS region of the cluster and the workspace. */
  readonly region: string;
  /** ARN of the only cluster to discover tasks in. */
  readonly clusterArn: string;
  /** Services to scrape; tasks of every other service in the cluster are dropped. */
  readonly targets: readonly ScrapeTarget[];
  /** `<workspace prometheus endpoint>api/v1/remote_write` */
  readonly remoteWriteUrl: string;
  /** @default '30s' */
  readonly scrapeInterval?: string;
  /** How often the ECS API is asked for tasks. @default '60s' */
  readonly refreshInterval?: string;
}

export { SCRAPE_JOB_NAME } from '../../grafana/scrape-labels';

/**
 * The Prometheus (≥ 3.8, agent mode) configuration: ECS discovery of one cluster, only the watched services, each
 * on its own admin port, relabelled to `cluster`, `service` and `task_id` (the ECS task ID, as the collector and
 * the snapshot names use it), and remote-written to AMP with SigV4.
 */
export function renderScrapeConfig(options: ScrapeConfigOptions): string {
  if (options.targets.length === 0) {
    throw new Error('targets: no service to scrape. Call heapwatch.watch(service) for at least one service.');
  }
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
            port: options.targets[0].adminPort,
            refresh_interval: options.refreshInterval ?? '60s',
          },
        ],
        relabel_configs: relabelConfigs(options.targets),
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

function relabelConfigs(targets: readonly ScrapeTarget[]): RelabelConfig[] {
  const names = targets.map((target) => target.serviceName).join('|');
  return [
    { source_labels: ['__meta_ecs_service'], regex: `(${names})`, action: 'keep' },
    { source_labels: ['__meta_ecs_last_status'], regex: 'RUNNING', action: 'keep' },
    ...targets.map((target) => ({
      source_labels: ['__meta_ecs_service', '__meta_ecs_ip_address'],
      separator: ';',
      regex: `${target.serviceName};(.+)`,
      target_label: '__address__',
      replacement: `$1:${target.adminPort}`,
    })),
    ...taskLabelRelabelConfigs(),
    { source_labels: ['__meta_ecs_availability_zone'], target_label: 'availability_zone' },
  ];
}
