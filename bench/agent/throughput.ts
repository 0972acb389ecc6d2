import autocannon from 'autocannon';
import { cpuRunMsOf, type ForkedChild, forkChild, MiB, memoryOf } from './measure';
import { allCores, type CorePlan, pinProcess, planCores } from './pinning';
import { type RatioSpread, spreadOf } from './spread';

interface DemoReady {
  readonly siteUrl: string;
  readonly adminUrl?: string;
}

export interface SideResult {
  readonly requests: number;
  readonly cpuMicrosPerRequest: number;
  readonly worstP99Ms: number;
  readonly peakRssMiB: number;
  /** Server CPU time / wall time while loaded: near 100% means the server, not the load generator, is the bound. */
  readonly serverBusy: number;
}

export interface ThroughputResult {
  readonly cores: CorePlan;
  readonly rounds: number;
  readonly runSeconds: number;
  readonly withAgent: SideResult;
  readonly withoutAgent: SideResult;
  /** A second copy of the app without the agent, measured exactly like the agent side. */
  readonly control: SideResult;
  /** Per round: requests with agent / without. */
  readonly ratio: RatioSpread;
  /** Per round: requests control / without — the method's own noise floor. */
  readonly controlRatio: RatioSpread;
  /** Per round: CPU per request without / with (same direction as the throughput ratio). */
  readonly cpuRatio: RatioSpread;
  readonly controlCpuRatio: RatioSpread;
  /** Load generator (this process) CPU time / wall time while loading. */
  readonly loadGeneratorBusy: number;
  readonly scrapes: number;
  readonly failedScrapes: number;
}

type Side = 'withAgent' | 'withoutAgent' | 'control';
const SIDES: readonly Side[] = ['withAgent', 'withoutAgent', 'control'];

interface Run {
  readonly requests: number;
  readonly cpuMs: number;
  readonly p99: number;
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

function scrapeEverySecond(adminUrl: string, counts: { scrapes: number; failedScrapes: number }) {
  return setInterval(() => {
    fetch(`${adminUrl}/metrics`).then(
      async (r) => {
        await r.text();
        counts.scrapes++;
      },
      () => {
        counts.failedScrapes++; // a keep-alive connection closed as it was reused; Prometheus retries
      },
    );
  }, 1000);
}

/**
 * The demo with its agent (scraped every second, 15× Prometheus's usual rate) vs the same app alone, and a second
 * copy of the app alone as a control. All three servers share one pinned core and are loaded one at a time (order
 * ABC, CBA, … so position effects hit the agent and the control alike) by autocannon pinned to the other core;
 * ratios are taken per round, so drift between rounds cancels out. BENCH_SCRAPE=0 leaves the scrapes out.
 */
export async function measureThroughput(secret: string, rounds = 20, runSeconds = 2): Promise<ThroughputResult> {
  const cores = planCores();
  const children = {} as Record<Side, ForkedChild<DemoReady>>;
  const counts = { scrapes: 0, failedScrapes: 0 };
  try {
    children.withAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '1', BENCH_SECRET: secret });
    children.withoutAgent = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '0' });
    children.control = await forkChild<DemoReady>('demo-child.ts', { BENCH_WITH_AGENT: '0' });
    if (cores.pinned) {
      pinProcess(process.pid, String(cores.loadCore));
      for (const side of SIDES) pinProcess(children[side].child.pid!, String(cores.serverCore));
    }
    for (const side of SIDES) await load(children[side].ready.siteUrl, { amount: 20_000 });

    const runs: Record<Side, Run[]> = { withAgent: [], withoutAgent: [], control: [] };
    let loadCpuMicros = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
      for (const side of order) {
        const target = children[side];
        const scraper =
          side === 'withAgent' && process.env.BENCH_SCRAPE !== '0'
            ? scrapeEverySecond(target.ready.adminUrl!, counts)
            : undefined;
        const cpuBefore = cpuRunMsOf(target.child.pid!);
        const loadCpuBefore = process.cpuUsage();
        const result = await load(target.ready.siteUrl, { duration: runSeconds });
        const loadCpu = process.cpuUsage(loadCpuBefore);
        loadCpuMicros += loadCpu.user + loadCpu.system;
        const cpuMs = cpuRunMsOf(target.child.pid!) - cpuBefore;
        clearInterval(scraper);
        if (result.errors || result.non2xx) {
          throw new Error(`load run failed: ${result.errors} errors, ${result.non2xx} non-2xx`);
        }
        runs[side].push({ requests: result.requests.total, cpuMs, p99: result.latency.p99 });
      }
    }

    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const wallMs = rounds * runSeconds * 1000;
    const sideResult = (side: Side): SideResult => {
      const requests = sum(runs[side].map((r) => r.requests));
      const cpuMs = sum(runs[side].map((r) => r.cpuMs));
      return {
        requests,
        cpuMicrosPerRequest: (cpuMs * 1000) / requests,
        worstP99Ms: Math.max(...runs[side].map((r) => r.p99)),
        peakRssMiB: memoryOf(children[side].child.pid!).peakRss / MiB,
        serverBusy: cpuMs / wallMs,
      };
    };
    const perRound = (side: Side, value: (run: Run, base: Run) => number) =>
      spreadOf(runs[side].map((run, i) => value(run, runs.withoutAgent[i])));
    const requestRatio = (run: Run, base: Run) => run.requests / base.requests;
    const cpuRatio = (run: Run, base: Run) => base.cpuMs / base.requests / (run.cpuMs / run.requests);
    return {
      cores,
      rounds,
      runSeconds,
      withAgent: sideResult('withAgent'),
      withoutAgent: sideResult('withoutAgent'),
      control: sideResult('control'),
      ratio: perRound('withAgent', requestRatio),
      controlRatio: perRound('control', requestRatio),
      cpuRatio: perRound('withAgent', cpuRatio),
      controlCpuRatio: perRound('control', cpuRatio),
      loadGeneratorBusy: loadCpuMicros / 1000 / (wallMs * SIDES.length),
      ...counts,
    };
  } finally {
    for (const side of SIDES) await children[side]?.stop();
    if (cores.pinned) pinProcess(process.pid, allCores());
  }
}
