import autocannon from 'autocannon';
import { cpuMsOf, forkChild, MiB, median, memoryOf } from './measure';

interface DemoReady {
  readonly siteUrl: string;
  readonly adminUrl?: string;
}

export interface ThroughputResult {
  readonly withAgentRequests: number;
  readonly withoutAgentRequests: number;
  readonly ratio: number;
  readonly medianPairRatio: number;
  readonly pairRatios: readonly number[];
  /** Server CPU per request without / with the agent: the throughput ratio a CPU-bound task would see. */
  readonly cpuRatio: number;
  readonly cpuMicrosPerRequestWith: number;
  readonly cpuMicrosPerRequestWithout: number;
  readonly withAgentP99Ms: number;
  readonly withoutAgentP99Ms: number;
  readonly scrapes: number;
  readonly failedScrapes: number;
  readonly peakRssWithMiB: number;
  readonly peakRssWithoutMiB: number;
}

function load(url: string, limit: { duration: number } | { amount: number }) {
  return autocannon({
    url,
    connections: 10,
    ...limit,
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
export async function measureThroughput(secret: string, runs = 16, runSeconds = 2): Promise<ThroughputResult> {
  const withAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '1', BENCH_SECRET: secret });
  const withoutAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '0' });
  try {
    await load(withAgent.ready.siteUrl, { amount: 10_000 });
    await load(withoutAgent.ready.siteUrl, { amount: 10_000 });
    const totals = { with: [] as number[], without: [] as number[] };
    const cpuMs = { with: 0, without: 0 };
    const p99 = { with: [] as number[], without: [] as number[] };
    let scrapes = 0;
    let failedScrapes = 0;
    for (let run = 0; run < runs; run++) {
      const side = [0, 3].includes(run % 4) ? 'with' : 'without';
      const target = side === 'with' ? withAgent : withoutAgent;
      const scraper =
        side === 'with'
          ? setInterval(() => {
              fetch(`${withAgent.ready.adminUrl}/metrics`).then(
                async (r) => {
                  await r.text();
                  scrapes++;
                },
                () => {
                  failedScrapes++; // a keep-alive connection closed as it was reused; Prometheus retries next time
                },
              );
            }, 1000)
          : undefined;
      const cpuBefore = cpuMsOf(target.child.pid!);
      const result = await load(target.ready.siteUrl, { duration: runSeconds });
      cpuMs[side] += cpuMsOf(target.child.pid!) - cpuBefore;
      clearInterval(scraper);
      if (result.errors || result.non2xx)
        throw new Error(`load run failed: ${result.errors} errors, ${result.non2xx} non-2xx`);
      totals[side].push(result.requests.total);
      p99[side].push(result.latency.p99);
    }
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const pairRatios = totals.with.map((w, i) => w / totals.without[i]);
    const cpuWith = (cpuMs.with * 1000) / sum(totals.with);
    const cpuWithout = (cpuMs.without * 1000) / sum(totals.without);
    return {
      withAgentRequests: sum(totals.with),
      withoutAgentRequests: sum(totals.without),
      ratio: sum(totals.with) / sum(totals.without),
      medianPairRatio: median(pairRatios),
      pairRatios,
      cpuRatio: cpuWithout / cpuWith,
      cpuMicrosPerRequestWith: cpuWith,
      cpuMicrosPerRequestWithout: cpuWithout,
      withAgentP99Ms: Math.max(...p99.with),
      withoutAgentP99Ms: Math.max(...p99.without),
      scrapes,
      failedScrapes,
      peakRssWithMiB: memoryOf(withAgent.child.pid!).peakRss / MiB,
      peakRssWithoutMiB: memoryOf(withoutAgent.child.pid!).peakRss / MiB,
    };
  } finally {
    await withAgent.stop();
    await withoutAgent.stop();
  }
}
