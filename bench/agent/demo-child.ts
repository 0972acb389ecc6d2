// Benchmark child: the demo shop with its agent (BENCH_WITH_AGENT=1) or the same Koa app alone (0).
// BENCH_DEFAULT_METRICS=0 leaves out prom-client's default metrics, to tell their cost from the agent's own;
// BENCH_WITHOUT_METRICS=name,name… collects all of prom-client's defaults but those (e.g. nodejs_eventloop_lag_seconds,
// whose collect sets all the event-loop metrics); BENCH_ACTIVE_HANDLE_METRICS=1 keeps the ones the agent leaves out.
// BENCH_DEFAULT_METRIC_MODULES=gc,eventLoopLag… registers only those modules of prom-client's defaults (file names in
// prom-client/lib/metrics): removing a metric from the registry leaves its always-on part running (the GC
// PerformanceObserver, the event-loop delay monitor); this never starts the others. BENCH_HEAP_SAMPLING=off turns the
// agent's heap sampler off; BENCH_HEAP_SAMPLING_INTERVAL sets its interval in bytes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createDemoApp, findLeak, startDemo } from '../../demo/src';

type DefaultMetricModule = typeof import('prom-client/lib/metrics/gc');

function defaultMetricModule(name: string): DefaultMetricModule {
  if (!/^[A-Za-z]+$/.test(name)) throw new Error(`BENCH_DEFAULT_METRIC_MODULES: ${name} is not a module name`);
  return require(`prom-client/lib/metrics/${name}`) as DefaultMetricModule;
}

/** Both kinds answer `young-generation` with V8's new space size, which the parent reports for every pair. */
function answerYoungGenerationQueries(): void {
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'young-generation') return;
    const bytes = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
    process.send!({ type: 'young-generation', bytes });
  });
}

async function main(): Promise<void> {
  answerYoungGenerationQueries();
  if (process.env.BENCH_WITH_AGENT === '1') {
    const without = (process.env.BENCH_WITHOUT_METRICS ?? '').split(',').filter(Boolean);
    const modules = (process.env.BENCH_DEFAULT_METRIC_MODULES ?? '').split(',').filter(Boolean);
    if (without.length > 0 && modules.length > 0)
      throw new Error('BENCH_WITHOUT_METRICS and BENCH_DEFAULT_METRIC_MODULES exclude each other');
    const ownRegistry = without.length > 0 || modules.length > 0 ? new Registry() : undefined;
    if (ownRegistry && without.length > 0) {
      collectDefaultMetrics({ register: ownRegistry });
      for (const name of without) {
        if (!ownRegistry.getSingleMetric(name)) throw new Error(`BENCH_WITHOUT_METRICS: no metric ${name}`);
        ownRegistry.removeSingleMetric(name);
      }
    }
    if (ownRegistry) for (const name of modules) defaultMetricModule(name)(ownRegistry, {});
    const demo = await startDemo({
      port: 0,
      adminPort: 0,
      publicKeys: [process.env.BENCH_PUBLIC_KEY!],
      taskId: 'bench-demo',
      admin: {
        registry: ownRegistry,
        collectDefaultMetrics: !ownRegistry && process.env.BENCH_DEFAULT_METRICS !== '0',
        activeHandleMetrics: process.env.BENCH_ACTIVE_HANDLE_METRICS === '1',
        heapSampling: process.env.BENCH_HEAP_SAMPLING !== 'off',
        heapSamplingIntervalBytes: process.env.BENCH_HEAP_SAMPLING_INTERVAL
          ? Number(process.env.BENCH_HEAP_SAMPLING_INTERVAL)
          : undefined,
        logger: { info: () => undefined, warn: () => undefined },
      },
    });
    process.send!({ type: 'ready', siteUrl: demo.siteUrl, adminUrl: demo.adminUrl });
  } else {
    const server = createServer(createDemoApp(findLeak('none').create()).callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.send!({ type: 'ready', siteUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  }
}

void main();
