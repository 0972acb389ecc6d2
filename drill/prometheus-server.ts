import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { TASK_LABELS, type TaskLabel } from '../grafana/queries';
import { ECS_META_LABELS, SCRAPE_JOB_NAME, taskLabelRelabelConfigs } from '../grafana/scrape-labels';

export { ECS_META_LABELS, SCRAPE_JOB_NAME } from '../grafana/scrape-labels';

/** A real Prometheus (the Debian package's binary) on loopback, for the drill and integration tests. */

export interface ScrapeTarget {
  /** The agent's metrics URL on loopback, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The labels the AWS scraper derives from ECS discovery for this task. */
  readonly labels: Readonly<Record<TaskLabel, string>>;
}

export interface PrometheusServerOptions {
  readonly scrapeTargets: readonly ScrapeTarget[];
  /**
   * Rule files to load (absolute or relative to the working directory).
   * @default - none
   */
  readonly rulesFiles?: readonly string[];
  /** @default '1s' */
  readonly scrapeInterval?: string;
  /** @default '1s' */
  readonly evaluationInterval?: string;
  /**
   * Path of the prometheus binary.
   * @default - $PROMETHEUS_BINARY, else '/usr/bin/prometheus'
   */
  readonly binary?: string;
  /** @default 30_000 */
  readonly startupTimeoutMs?: number;
}

export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [timeSeconds: number, value: number])[];
}

export interface QueryRangeOptions {
  /** Unix seconds. */
  readonly start: number;
  /** Unix seconds. */
  readonly end: number;
  /** Seconds between points. */
  readonly stepSeconds: number;
}

export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The generated prometheus.yml (for reading, and for error messages). */
  readonly configFile: string;
  /** Instant query; resolves the result vector (scalars as one sample without labels). */
  query(promql: string, timeSeconds?: number): Promise<PromSample[]>;
  queryRange(promql: string, range: QueryRangeOptions): Promise<PromSeries[]>;
  /** Re-reads the configuration and rule files (`POST /-/reload`). */
  reload(): Promise<void>;
  /** Stops Prometheus (SIGTERM, then SIGKILL after 10 s) and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

export const DEFAULT_PROMETHEUS_BINARY = '/usr/bin/prometheus';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A task ARN as ECS writes it, for a loopback "task". */
export function localTaskArn(cluster: string, taskId: string): string {
  return `arn:aws:ecs:local:000000000000:task/${cluster}/${taskId}`;
}

/** The prometheus.yml for the given targets and rules (exported so its shape can be asserted without a server). */
export function prometheusConfig(options: PrometheusServerOptions): string {
  const static_configs = options.scrapeTargets.map((target) => {
    const url = parseLoopbackUrl(target.url);
    for (const label of TASK_LABELS) {
      if (!target.labels[label]) {
        throw new Error(`Scrape target ${target.url} has no '${label}' label: give it cluster, service and task_id.`);
      }
    }
    if (target.labels.task_id.includes('/')) {
      throw new Error(`Scrape target ${target.url} has task_id '${target.labels.task_id}': a task ID has no '/'.`);
    }
    return {
      targets: [url.host],
      labels: {
        __metrics_path__: url.pathname,
        [ECS_META_LABELS.cluster]: target.labels.cluster,
        [ECS_META_LABELS.service]: target.labels.service,
        [ECS_META_LABELS.taskArn]: localTaskArn(target.labels.cluster, target.labels.task_id),
      },
    };
  });
  return stringify({
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      scrape_timeout: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
    },
    rule_files: (options.rulesFiles ?? []).map((file) => path.resolve(file)),
    scrape_configs: [{ job_name: SCRAPE_JOB_NAME, static_configs, relabel_configs: taskLabelRelabelConfigs() }],
  });
}

function parseLoopbackUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Scrape target URL '${text}' is not a URL: use e.g. http://127.0.0.1:9464/metrics.`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(
      `Scrape target URL '${text}' is not plain http on loopback: the local Prometheus only scrapes 127.0.0.1.`,
    );
  }
  return url;
}

function resolveBinary(binary: string | undefined): string {
  const candidate = binary ?? process.env.PROMETHEUS_BINARY ?? DEFAULT_PROMETHEUS_BINARY;
  try {
    accessSync(candidate, constants.X_OK);
  } catch {
    throw new Error(
      `Prometheus binary not found or not executable at '${candidate}'. Install the Debian package ` +
        '(apt-get install -y --no-install-recommends prometheus) or point PROMETHEUS_BINARY at a prometheus ' +
        '2.42+ binary.',
    );
  }
  return candidate;
}

/** A free loopback port: bind port 0, read it, release it. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus with a generated config in a temporary directory and waits until it is ready. */
export async function startPrometheus(options: PrometheusServerOptions): Promise<PrometheusServer> {
  const binary = resolveBinary(options.binary);
  const config = prometheusConfig(options);
  const workDir = mkdtempSync(path.join(tmpdir(), 'heapwatch-prometheus-'));
  const configFile = path.join(workDir, 'prometheus.yml');
  writeFileSync(configFile, config);
  try {
    // Another process may take the port between our probe and Prometheus binding it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const started = await launch(binary, configFile, workDir, port, options.startupTimeoutMs ?? 30_000);
      if (started.ok) return handle(started.child, `http://127.0.0.1:${port}`, configFile, workDir);
      if (!started.portTaken || attempt === 3) throw new Error(started.message);
    }
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

type LaunchResult =
  | { readonly ok: true; readonly child: ChildProcess }
  | { readonly ok: false; readonly message: string; readonly portTaken: boolean };

async function launch(
  binary: string,
  configFile: string,
  workDir: string,
  port: number,
  timeoutMs: number,
): Promise<LaunchResult> {
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      '--web.enable-lifecycle',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8_000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return {
        ok: false,
        portTaken: /address already in use/i.test(log),
        message: `Prometheus exited with ${child.exitCode ?? child.signalCode} before it was ready (config ${configFile}):\n${log}`,
      };
    }
    if (await isReady(port)) return { ok: true, child };
    await sleep(100);
  }
  child.kill('SIGKILL');
  return {
    ok: false,
    portTaken: false,
    message: `Prometheus was not ready on 127.0.0.1:${port} within ${timeoutMs} ms (config ${configFile}):\n${log}`,
  };
}

async function isReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

function handle(child: ChildProcess, url: string, configFile: string, workDir: string): PrometheusServer {
  let stopped: Promise<void> | undefined;
  return {
    url,
    configFile,
    query: async (promql, timeSeconds) => {
      const data = await api(url, '/api/v1/query', {
        query: promql,
        ...(timeSeconds ? { time: `${timeSeconds}` } : {}),
      });
      return instantSamples(data);
    },
    queryRange: async (promql, range) => {
      const data = await api(url, '/api/v1/query_range', {
        query: promql,
        start: `${range.start}`,
        end: `${range.end}`,
        step: `${range.stepSeconds}`,
      });
      return (data.result as RawSeries[]).map((series) => ({
        metric: series.metric,
        values: series.values.map(([time, value]) => [time, Number(value)] as const),
      }));
    },
    reload: async () => {
      const response = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!response.ok) throw new Error(`Prometheus reload failed (${response.status}): ${await response.text()}`);
    },
    stop: () => {
      stopped ??= stopChild(child).finally(() => rmSync(workDir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

interface RawSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

interface QueryData {
  readonly resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  readonly result: unknown;
}

function instantSamples(data: QueryData): PromSample[] {
  if (data.resultType === 'scalar') {
    const [, value] = data.result as [number, string];
    return [{ metric: {}, value: Number(value) }];
  }
  if (data.resultType !== 'vector') throw new Error(`Expected an instant vector, got a ${data.resultType}.`);
  return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((sample) => ({
    metric: sample.metric,
    value: Number(sample.value[1]),
  }));
}

async function api(url: string, endpoint: string, params: Record<string, string>): Promise<QueryData> {
  const response = await fetch(`${url}${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const body = (await response.json()) as { status: string; data?: QueryData; error?: string };
  if (body.status !== 'success' || !body.data) {
    throw new Error(`Prometheus rejected ${params.query}: ${body.error ?? response.statusText}`);
  }
  return body.data;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
