import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ACTIVE_HANDLE_METRICS, type AdminServer, createAgentMetrics, startAdminServer } from '@heapwatch/agent';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { fakeCgroup, removeFakeCgroups } from './helpers/fake-cgroup';
import { parsePrometheusText, promtoolCheckMetrics, sampleValue } from './helpers/prometheus-text';
import { silentLogger } from './helpers/silent-logger';

describe('GET /metrics', () => {
  afterAll(removeFakeCgroups);

  let server: AdminServer;

  afterEach(async () => {
    await server?.close();
  });

  it('serves Prometheus text with heap spaces and the heapwatch metrics', async () => {
    // Prepare
    const cgroup = await fakeCgroup({ 'memory.max': '1073741824', 'memory.current': '314572800' });
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...cgroup });
    // Act
    const response = await fetch(`${server.url}/metrics`);
    const text = await response.text();
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(text);
    for (const space of ['new', 'old', 'code', 'large_object']) {
      expect(sampleValue(samples, 'nodejs_heap_space_size_used_bytes', { space })).toEqual(expect.any(Number));
    }
    expect(sampleValue(samples, 'nodejs_heap_space_size_used_bytes', { space: 'old' })).toBeGreaterThan(0);
    expect(sampleValue(samples, 'heapwatch_heap_size_limit_bytes')).toBeGreaterThan(100 * 2 ** 20);
    expect(sampleValue(samples, 'heapwatch_container_memory_limit_bytes')).toBe(1_073_741_824);
    expect(sampleValue(samples, 'heapwatch_container_memory_usage_bytes')).toBe(314_572_800);
    expect(sampleValue(samples, 'heapwatch_snapshots_total', { result: 'ok' })).toBe(0);
    const lint = promtoolCheckMetrics(text);
    expect(lint.output).not.toMatch(/parsing error/i);
    expect(lint.output).not.toMatch(/heapwatch_/);
  });

  it("leaves out prom-client's active handle metrics unless asked, as nothing in heapwatch reads them", async () => {
    // Act
    const lean = await createAgentMetrics({}).registry.metrics();
    const full = await createAgentMetrics({ activeHandleMetrics: true }).registry.metrics();
    // Assess
    for (const name of ACTIVE_HANDLE_METRICS) {
      expect(lean).not.toContain(`# TYPE ${name} `);
      expect(full).toContain(`# TYPE ${name} `);
    }
    expect(sampleValue(parsePrometheusText(lean), 'nodejs_eventloop_lag_seconds')).toEqual(expect.any(Number));
  });

  it("has every metric of prom-client's defaults (but the active handle ones), so dashboards and alerts find them", async () => {
    // Prepare
    const promClient = new Registry();
    collectDefaultMetrics({ register: promClient });
    const agent = createAgentMetrics({});
    const names = (registry: Registry) => registry.getMetricsAsArray().map((metric) => metric.name);
    // Act
    const expected = names(promClient).filter((name) => !ACTIVE_HANDLE_METRICS.includes(name));
    // Assess
    expect(names(agent.registry)).toEqual(expect.arrayContaining(expected));
    agent.close();
  });

  it('counts every major GC, also several in one tick (prom-client counts one per batch)', async () => {
    // Prepare
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const agent = createAgentMetrics({});
    const majorGcs = async () =>
      sampleValue(parsePrometheusText(await agent.registry.metrics()), 'nodejs_gc_duration_seconds_count', {
        kind: 'major',
      }) ?? 0;
    const before = await majorGcs();
    // Act
    for (let i = 0; i < 5; i++) gc();
    // Assess
    expect((await majorGcsAfter(5, majorGcs, before)) - before).toBeGreaterThanOrEqual(5);
    agent.close();
  });

  it('holds every heap space, external memory, ArrayBuffers and RSS as measured after the last major GC', async () => {
    // Prepare
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const agent = createAgentMetrics({ collectDefaultMetrics: false });
    const read = async () => {
      const samples = parsePrometheusText(await agent.registry.metrics());
      return {
        largeObjects: sampleValue(samples, 'heapwatch_heap_space_after_gc_bytes', { space: 'large_object' }) ?? 0,
        old: sampleValue(samples, 'heapwatch_heap_space_after_gc_bytes', { space: 'old' }) ?? 0,
        external: sampleValue(samples, 'heapwatch_memory_after_gc_bytes', { type: 'external' }) ?? 0,
        arrayBuffers: sampleValue(samples, 'heapwatch_memory_after_gc_bytes', { type: 'array_buffers' }) ?? 0,
        rss: sampleValue(samples, 'heapwatch_memory_after_gc_bytes', { type: 'rss' }) ?? 0,
      };
    };
    gc();
    const before = await readingAfter(read, (reading) => reading.rss > 0);
    // Act: 32 MiB of doubles (one large object) and a 32 MiB Buffer (off the heap), kept until the next GC
    let retained: [number[], Buffer] | undefined = [
      new Array<number>(4 * 1_048_576).fill(0.5),
      Buffer.alloc(32 * 1_048_576, 1),
    ];
    gc();
    const grown = await readingAfter(read, (reading) => reading.arrayBuffers >= before.arrayBuffers + 32 * 1_048_576);
    retained = undefined;
    gc();
    const freed = await readingAfter(read, (reading) => reading.arrayBuffers < grown.arrayBuffers - 16 * 1_048_576);
    // Assess
    expect(retained).toBeUndefined();
    // 32 MiB each; other large objects and buffers of the test process may come and go meanwhile.
    expect(grown.largeObjects - before.largeObjects).toBeGreaterThanOrEqual(30 * 1_048_576);
    expect(grown.arrayBuffers - before.arrayBuffers).toBeGreaterThanOrEqual(30 * 1_048_576);
    // External memory includes the ArrayBuffers (V8 lowers it lazily when they are freed, so only the sum is exact).
    expect(grown.external).toBeGreaterThanOrEqual(grown.arrayBuffers);
    expect(freed.largeObjects).toBeLessThan(grown.largeObjects - 16 * 1_048_576);
    expect(freed.arrayBuffers).toBeLessThan(grown.arrayBuffers - 16 * 1_048_576);
    expect(grown.old).toBeGreaterThan(0);
    agent.close();
  });

  it('reads the cgroup at scrape time and leaves out the limit when unlimited', async () => {
    // Prepare
    const cgroup = await fakeCgroup({ 'memory.max': 'max', 'memory.current': '1000' });
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...cgroup });
    // Act
    const samples = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    // Assess
    expect(sampleValue(samples, 'heapwatch_container_memory_limit_bytes')).toBeUndefined();
    expect(sampleValue(samples, 'heapwatch_container_memory_usage_bytes')).toBe(1000);
  });

  it('leaves out both container metrics when no cgroup is readable', async () => {
    const cgroup = await fakeCgroup({});
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger, ...cgroup });
    const samples = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    expect(samples.filter((s) => s.name.startsWith('heapwatch_container_'))).toEqual([]);
  });

  it('collects the registry at start, before the first scrape, so that scrape changes nothing app code relies on', async () => {
    // Prepare
    const registry = new Registry();
    let collected = 0;
    new Gauge({
      name: 'app_probe',
      help: 'Counts its collections.',
      registers: [registry],
      collect: () => void collected++,
    });
    // Act
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger, registry });
    // Assess
    expect(collected).toBe(2);
    await fetch(`${server.url}/metrics`).then((response) => response.text());
    expect(collected).toBe(3);
  });

  it('logs a collect that fails at start, and serves anyway', async () => {
    // Prepare
    const registry = new Registry();
    let failing = true;
    new Gauge({
      name: 'app_flaky',
      help: 'Fails until the app is ready.',
      registers: [registry],
      collect() {
        if (failing) throw new Error('app_flaky is not ready');
        this.set(1);
      },
    });
    const warnings: string[] = [];
    // Act
    server = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      logger: { info: () => undefined, warn: (message) => void warnings.push(message) },
      registry,
    });
    failing = false;
    const response = await fetch(`${server.url}/metrics`);
    // Assess
    expect(warnings).toContain('heapwatch: collecting the metrics at start failed: app_flaky is not ready');
    expect(response.status).toBe(200);
    expect(sampleValue(parsePrometheusText(await response.text()), 'app_flaky')).toBe(1);
  });

  it('answers /healthz, 404 for other paths and 405 for other methods', async () => {
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics/extra`)).status).toBe(404);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const get = await fetch(`${server.url}/heap/snapshot`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

/** The major GC count once it has grown by `count` since `from`, or after 10 s: GC entries reach observers later. */
async function majorGcsAfter(count: number, majorGcs: () => Promise<number>, from: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let seen = await majorGcs();
  while (seen - from < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen = await majorGcs();
  }
  return seen;
}

/** The first reading that satisfies `done`, or the last one after 10 s: GC entries reach observers after the GC. */
async function readingAfter<T>(read: () => Promise<T>, done: (reading: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  let reading = await read();
  while (!done(reading) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    reading = await read();
  }
  return reading;
}
