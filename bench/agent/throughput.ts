import autocannon from 'autocannon';
import { cpuMsOf, type ForkedChild, forkChild, MiB, median, memoryOf } from './measure';

interface DemoReady {
  readonly siteUrl: string;
  readonly adminUrl?: string;
}

export interface SideResult {
  readonly requests: number;
  readonly cpuMicrosPerRequest: number;
  readonly worstP99Ms: number;
  readonly peakRssMiB: number;
}

export interface ThroughputResult {
  readonly rounds: number;
  readonly runSeconds: number;
  readonly withAgent: SideResult;
  readonly withoutAgent: SideResult;
  /** A second copy of the app without the agent: how far two identical processes drift apart here. */
  readonly control: SideResult;
  /** with / without, requests served in the same rounds. */
  readonly ratio: number;
  readonly medianRoundRatio: number;
  /** control / without: the noise floor of `ratio` on this machine. */
  readonly controlRatio: number;
  /** CPU per request without / with: the throughput ratio a CPU-bound task would see. */
  readonly cpuRatio: number;
  readonly scrapes: number;
  readonly failedScrapes: number;
}

type Side = 'withAgent' | 'withoutAgent' | 'control';
const SIDES: readonly Side[] = ['withAgent', 'withoutAgent', 'control'];

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
 * The demo with its agent (scraped every second, 15× Prometheus's usual rate) vs the same app alone, and a second
 * copy of the app alone as a control, in rotating order so drift on this shared machine hits all three alike.
 */
export async function measureThroughput(secret: string, rounds = 8, runSeconds = 2): Promise<ThroughputResult> {
  const children = {} as Record<Side, ForkedChild<DemoReady>>;
  children.withAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '1', BENCH_SECRET: secret });
  children.withoutAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '0' });
  children.control = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '0' });
  try {
    for (const side of SIDES) await load(children[side].ready.siteUrl, { amount: 10_000 });
    const totals: Record<Side, number[]> = { withAgent: [], withoutAgent: [], control: [] };
    const cpuMs: Record<Side, number> = { withAgent: 0, withoutAgent: 0, control: 0 };
    const p99: Record<Side, number[]> = { withAgent: [], withoutAgent: [], control: [] };
    let scrapes = 0;
    let failedScrapes = 0;
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < SIDES.length; k++) {
        const side = SIDES[(round + k) % SIDES.length];
        const target = children[side];
        const scraper =
          side === 'withAgent'
            ? setInterval(() => {
                fetch(`${target.ready.adminUrl}/metrics`).then(
                  async (r) => {
                    await r.text();
                    scrapes++;
                  },
                  () => {
                    failedScrapes++; // a keep-alive connection closed as it was reused; Prometheus retries
                  },
                );
              }, 1000)
            : undefined;
        const cpuBefore = cpuMsOf(target.child.pid!);
        const result = await load(target.ready.siteUrl, { duration: runSeconds });
        cpuMs[side] += cpuMsOf(target.child.pid!) - cpuBefore;
        clearInterval(scraper);
        if (result.errors || result.non2xx) {
          throw new Error(`load run failed: ${result.errors} errors, ${result.non2xx} non-2xx`);
        }
        totals[side].push(result.requests.total);
        p99[side].push(result.latency.p99);
      }
    }
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const sideResult = (side: Side): SideResult => ({
      requests: sum(totals[side]),
      cpuMicrosPerRequest: (cpuMs[side] * 1000) / sum(totals[side]),
      worstP99Ms: Math.max(...p99[side]),
      peakRssMiB: memoryOf(children[side].child.pid!).peakRss / MiB,
    });
    const [withAgent, withoutAgent, control] = SIDES.map(sideResult);
    return {
      rounds,
      runSeconds,
      withAgent,
      withoutAgent,
      control,
      ratio: withAgent.requests / withoutAgent.requests,
      medianRoundRatio: median(totals.withAgent.map((w, i) => w / totals.withoutAgent[i])),
      controlRatio: control.requests / withoutAgent.requests,
      cpuRatio: withoutAgent.cpuMicrosPerRequest / withAgent.cpuMicrosPerRequest,
      scrapes,
      failedScrapes,
    };
  } finally {
    for (const side of SIDES) await children[side]?.stop();
  }
}
