import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { ADMIN_PATH_TAG, ADMIN_PORT_TAG } from '../../../collector/watched-service';
import { renderScrapeConfig, serviceTagLabel, WATCH_TAGS } from '../../../lib/scraper/scrape-config';

const clusterArn = 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod';
const remoteWriteUrl = 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write';

interface ScrapeJob {
  job_name: string;
  aws_sd_configs?: Array<Record<string, unknown>>;
  static_configs?: Array<{ targets: string[]; labels: Record<string, string> }>;
  relabel_configs: Array<Record<string, unknown>>;
}

function render() {
  return renderScrapeConfig({ region: 'eu-west-1', clusterArn, remoteWriteUrl });
}

describe('renderScrapeConfig', () => {
  it('discovers the one cluster through ECS and remote-writes to AMP with SigV4', () => {
    // Act
    const config = parse(render());
    // Assess
    const [job] = config.scrape_configs as ScrapeJob[];
    expect(job.aws_sd_configs).toEqual([
      { role: 'ecs', region: 'eu-west-1', clusters: [clusterArn], refresh_interval: '60s' },
    ]);
    expect(config.remote_write).toEqual([
      expect.objectContaining({ url: remoteWriteUrl, sigv4: { region: 'eu-west-1' } }),
    ]);
    expect(config.global.scrape_interval).toBe('30s');
  });

  it('relabels with the metadata labels of Prometheus 3.8 ECS discovery', () => {
    const config = parse(render());
    const sourceLabels = (config.scrape_configs[0] as ScrapeJob).relabel_configs.flatMap(
      (rule) => (rule.source_labels as string[]) ?? [],
    );
    const ecsLabels = sourceLabels.filter((label) => label.startsWith('__meta_ecs_'));
    expect(new Set(ecsLabels)).toEqual(
      new Set([
        '__meta_ecs_service',
        '__meta_ecs_tag_service_heapwatch_admin_port',
        '__meta_ecs_tag_service_heapwatch_admin_path',
        '__meta_ecs_last_status',
        '__meta_ecs_ip_address',
        '__meta_ecs_task_arn',
        '__meta_ecs_cluster',
        '__meta_ecs_availability_zone',
      ]),
    );
  });

  it('finds watched services by the tags the collector reads too', () => {
    expect([WATCH_TAGS.adminPort, WATCH_TAGS.adminPath]).toEqual([ADMIN_PORT_TAG, ADMIN_PATH_TAG]);
    expect(serviceTagLabel('heapwatch:admin-port')).toBe('__meta_ecs_tag_service_heapwatch_admin_port');
  });
});

/** The rendered config with ECS discovery swapped for static targets carrying the same __meta_ecs_ labels. */
function withStaticEcsTargets(config: string, tasks: Array<Record<string, string>>, scrapeInterval: string): string {
  const parsed = parse(config);
  const job = parsed.scrape_configs[0] as ScrapeJob;
  delete job.aws_sd_configs;
  job.static_configs = tasks.map((labels) => ({ targets: ['192.0.2.1:9'], labels }));
  parsed.global.scrape_interval = scrapeInterval;
  parsed.global.scrape_timeout = scrapeInterval;
  delete parsed.remote_write;
  return stringify(parsed);
}

/** A task's meta labels; `tags` are its service's tags (a watched service has the admin port tag). */
function ecsTask(
  service: string,
  taskId: string,
  tags: Record<string, string> = {},
  lastStatus = 'RUNNING',
): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [serviceTagLabel(key), value])),
    __meta_ecs_cluster: 'prod',
    __meta_ecs_service: service,
    __meta_ecs_task_arn: `arn:aws:ecs:eu-west-1:111122223333:task/prod/${taskId}`,
    __meta_ecs_ip_address: '127.0.0.1',
    __meta_ecs_last_status: lastStatus,
    __meta_ecs_availability_zone: 'eu-west-1a',
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface ActiveTarget {
  labels: Record<string, string>;
  health: string;
  scrapeUrl: string;
}

describe('renderScrapeConfig with a real Prometheus (2.42, ECS discovery replaced by the same meta labels)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heapwatch-scrape-'));
  const agents: Server[] = [];
  let prometheus: ChildProcess | undefined;
  let apiPort = 0;
  let ports: { web: number; worker: number };

  beforeAll(async () => {
    // Prepare: two "agents" on loopback, each serving /metrics on its own admin port.
    for (let index = 0; index < 2; index++) {
      agents.push(
        createServer((request, response) => {
          const metricsPath = index === 0 ? '/metrics' : '/_heapwatch/metrics';
          response.writeHead(request.url === metricsPath ? 200 : 404, { 'Content-Type': 'text/plain; version=0.0.4' });
          response.end('heapwatch_heap_size_limit_bytes 4345298944\n');
        }),
      );
    }
    ports = { web: await listen(agents[0]), worker: await listen(agents[1]) };
    const config = render();
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(
      file,
      withStaticEcsTargets(
        config,
        [
          ecsTask('web', 'aaaa1111', { [WATCH_TAGS.adminPort]: String(ports.web) }),
          ecsTask('worker', 'bbbb2222', {
            [WATCH_TAGS.adminPort]: String(ports.worker),
            [WATCH_TAGS.adminPath]: '/_heapwatch',
          }),
          ecsTask('unwatched', 'cccc3333', { team: 'payments' }),
          ecsTask('web', 'dddd4444', { [WATCH_TAGS.adminPort]: String(ports.web) }, 'PROVISIONING'),
        ],
        '1s',
      ),
    );
    apiPort = await freePort();
    // Act
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${file}`,
        `--web.listen-address=127.0.0.1:${apiPort}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
      ],
      { stdio: 'ignore' },
    );
  });

  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await Promise.all(agents.map((agent) => new Promise((resolve) => agent.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  async function activeTargets(): Promise<ActiveTarget[]> {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${apiPort}/api/v1/targets`);
        const body = (await response.json()) as { data: { activeTargets: ActiveTarget[] } };
        const targets = body.data.activeTargets;
        if (targets.length > 0 && targets.every((target) => target.health === 'up')) {
          return targets;
        }
      } catch {
        // Prometheus is still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('Prometheus did not scrape the loopback agents within 20 s');
  }

  it('keeps only running tasks of tagged services, on their tagged admin port and path, labelled task_id, service and cluster', async () => {
    // Assess
    const targets = await activeTargets();
    const summary = targets
      .map((target) => ({
        url: target.scrapeUrl,
        task_id: target.labels.task_id,
        service: target.labels.service,
        cluster: target.labels.cluster,
        instance: target.labels.instance,
        job: target.labels.job,
      }))
      .sort((a, b) => a.task_id.localeCompare(b.task_id));
    expect(summary).toEqual([
      {
        url: `http://127.0.0.1:${ports.web}/metrics`,
        task_id: 'aaaa1111',
        service: 'web',
        cluster: 'prod',
        instance: 'aaaa1111',
        job: 'heapwatch',
      },
      {
        url: `http://127.0.0.1:${ports.worker}/_heapwatch/metrics`,
        task_id: 'bbbb2222',
        service: 'worker',
        cluster: 'prod',
        instance: 'bbbb2222',
        job: 'heapwatch',
      },
    ]);
  });

  it('passes promtool with the real remote_write section (SigV4) kept', () => {
    const parsed = parse(render());
    const job = parsed.scrape_configs[0] as ScrapeJob;
    delete job.aws_sd_configs;
    job.static_configs = [
      { targets: ['127.0.0.1:9464'], labels: ecsTask('web', 'aaaa1111', { [WATCH_TAGS.adminPort]: '9464' }) },
    ];
    const file = path.join(dir, 'promtool.yml');
    writeFileSync(file, stringify(parsed));
    expect(() => execFileSync('promtool', ['check', 'config', file], { stdio: 'pipe' })).not.toThrow();
  });
});
