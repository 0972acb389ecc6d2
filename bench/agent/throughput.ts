import autocannon from 'autocannon';
import { forkChild, MiB, memoryOf } from './measure';

interface DemoReady {
  readonly siteUrl: string;
  readonly adminUrl?: string;
}

export interface ThroughputResult {
  readonly withAgentRequests: number;
  readonly withoutAgentRequests: number;
  readonly ratio: number;
  readonly pairRatios: readonly number[];
  readonly withAgentP99Ms: number;
  readonly withoutAgentP99Ms: number;
  readonly scrapes: number;
  readonly peakRssWithMiB: number;
  readonly peakRssWithoutMiB: number;
}

function load(url: string, durationSeconds: number) {
  return autocannon({
    url,
    connections: 10,
    duration: durationSeconds,
    requests: [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/products/7' },
    ],
  });
}

/**
 * The demo with its agent (scraped every second, 15× Prometheus's usual rate) vs the same app alone,
 * in alternating runs (A B B A …) so drift on this shared machine hits both sides alike.
 */
export async function measureThroughput(secret: string, runs = 8, runSeconds = 4): Promise<ThroughputResult> {
  const withAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '1', BENCH_SECRET: secret });
  const withoutAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '0' });
  try {
    await load(withAgent.ready.siteUrl, 2);
    await load(withoutAgent.ready.siteUrl, 2);
    const totals = { with: [] as number[], without: [] as number[] };
    const p99 = { with: [] as number[], without: [] as number[] };
    let scrapes = 0;
    for (let run = 0; run < runs; run++) {
      const side = [0, 3].includes(run % 4) ? 'with' : 'without';
      const target = side === 'with' ? withAgent : withoutAgent;
      const scraper =
        side === 'with'
          ? setInterval(() => {
              void fetch(`${withAgent.ready.adminUrl}/metrics`).then(async (r) => {
                await r.text();
                scrapes++;
              });
            }, 1000)
          : undefined;
      const result = await load(target.ready.siteUrl, runSeconds);
      clearInterval(scraper);
      if (result.errors || result.non2xx)
        throw new Error(`load run failed: ${result.errors} errors, ${result.non2xx} non-2xx`);
      totals[side].push(result.requests.total);
      p99[side].push(result.latency.p99);
    }
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return {
      withAgentRequests: sum(totals.with),
      withoutAgentRequests: sum(totals.without),
      ratio: sum(totals.with) / sum(totals.without),
      pairRatios: totals.with.map((w, i) => w / totals.without[i]),
      withAgentP99Ms: Math.max(...p99.with),
      withoutAgentP99Ms: Math.max(...p99.without),
      scrapes,
      peakRssWithMiB: memoryOf(withAgent.child.pid!).peakRss / MiB,
      peakRssWithoutMiB: memoryOf(withoutAgent.child.pid!).peakRss / MiB,
    };
  } finally {
    await withAgent.stop();
    await withoutAgent.stop();
  }
}
