import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { prometheusConfig, startPrometheus } from '../../drill/prometheus-server';

const run = promisify(execFile);
const TASK = { cluster: 'c1', service: 's1', task_id: 't1' };

describe('prometheusConfig', () => {
  it('writes a config promtool accepts, with ECS discovery meta labels on each target, relabelled like the AWS scraper', async () => {
    // Prepare
    const workDir = mkdtempSync(path.join(tmpdir(), 'heapwatch-config-'));
    const configFile = path.join(workDir, 'prometheus.yml');

    try {
      // Act
      const config = prometheusConfig({
        scrapeTargets: [{ url: 'http://127.0.0.1:9464/metrics', labels: TASK }],
        scrapeInterval: '2s',
      });
      writeFileSync(configFile, config);
      const { stdout } = await run('promtool', ['check', 'config', configFile]);

      // Assess
      expect(stdout).toContain('SUCCESS');
      const parsed = parse(config);
      expect(parsed.global).toMatchObject({ scrape_interval: '2s', evaluation_interval: '1s' });
      expect(parsed.scrape_configs[0].static_configs).toEqual([
        {
          targets: ['127.0.0.1:9464'],
          labels: {
            __metrics_path__: '/metrics',
            __meta_ecs_cluster: 'c1',
            __meta_ecs_service: 's1',
            __meta_ecs_task_arn: 'arn:aws:ecs:local:000000000000:task/c1/t1',
          },
        },
      ]);
      expect(parsed.scrape_configs[0].relabel_configs).toContainEqual({
        source_labels: ['__meta_ecs_task_arn'],
        regex: '.*/([^/]+)',
        target_label: 'task_id',
      });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['http://10.0.0.5:9464/metrics', /not plain http on loopback: the local Prometheus only scrapes 127.0.0.1/],
    ['not a url', /'not a url' is not a URL: use e.g. http:\/\/127.0.0.1:9464\/metrics/],
  ])('refuses the target %s', (url, message) => {
    // Act
    const build = () => prometheusConfig({ scrapeTargets: [{ url, labels: TASK }] });

    // Assess
    expect(build).toThrow(message);
  });

  it('refuses a task ID that cannot be the last segment of a task ARN', () => {
    // Act
    const build = () =>
      prometheusConfig({ scrapeTargets: [{ url: 'http://127.0.0.1:1/metrics', labels: { ...TASK, task_id: 'a/b' } }] });

    // Assess
    expect(build).toThrow(/task_id 'a\/b': a task ID has no '\/'/);
  });

  it('refuses a target without a task label', () => {
    // Act
    const build = () =>
      prometheusConfig({ scrapeTargets: [{ url: 'http://127.0.0.1:1/metrics', labels: { ...TASK, task_id: '' } }] });

    // Assess
    expect(build).toThrow(/has no 'task_id' label: give it cluster, service and task_id/);
  });
});

describe('startPrometheus', () => {
  it('says how to install Prometheus when the binary is missing', async () => {
    // Act
    const start = startPrometheus({ scrapeTargets: [], binary: '/nonexistent/prometheus' });

    // Assess
    await expect(start).rejects.toThrow(
      /not found or not executable at '\/nonexistent\/prometheus'.*apt-get install -y --no-install-recommends prometheus/,
    );
  });

  it('serves queries on loopback until stopped, then is gone with its data directory', async () => {
    // Prepare
    const prometheus = await startPrometheus({ scrapeTargets: [] });

    try {
      // Act
      const [answer] = await prometheus.query('1 + 1');
      await prometheus.reload();

      // Assess
      expect(prometheus.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(answer.value).toBe(2);
      await expect(prometheus.query('sum(')).rejects.toThrow(/Prometheus rejected sum\(/);
    } finally {
      await prometheus.stop();
    }
    await expect(fetch(`${prometheus.url}/-/ready`)).rejects.toThrow();
    expect(existsSync(path.dirname(prometheus.configFile))).toBe(false);
  });
});
