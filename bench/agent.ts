// npm run bench:agent — the agent's cost: demo throughput with vs without it, /metrics render time, and capture
// time and peak memory vs a bare v8.writeHeapSnapshot for three heap sizes (calibrates the headroom guard).
// `npm run bench:agent -- --only throughput` runs the throughput part alone (≈ 5 minutes), `--only captures` the
// render and capture parts (≈ 3 minutes), `--only profiles` a heap profile's cost against a snapshot's on 100 MiB and
// 1 GiB heaps, `--only sampling` the throughput with the heap sampler on vs off.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeyPair } from '@heapwatch/agent/protocol';
import { type HeapSizeResult, measureCaptures } from './agent/capture';
import { MiB, mb, median, memoryOf, seconds } from './agent/measure';
import { measureMetricsRender } from './agent/metrics-render';
import { measureProfileVsSnapshot, type ProfileVsSnapshot } from './agent/profile-vs-snapshot';
import { measureThroughput, type ThroughputResult } from './agent/throughput';
import { throughputReport } from './agent/throughput-report';

/** The agents trust its public key; the bench signs capture tokens with its private key. */
const keys = generateSigningKeyPair();
// The first snapshot of a process is slower (it faults in ~8× heapUsed of fresh pages), so ratios leave out
// each process's first operation and alternate the rest; the first operation gives the peak-memory column.
const HEAP_SIZES: ReadonlyArray<[number, ReadonlyArray<'agent' | 'bare'>]> = [
  [50, ['agent', 'agent', 'bare', 'bare', 'agent']],
  [150, ['agent', 'bare', 'agent', 'bare', 'agent']],
  [300, ['agent']],
];

function captureRow(heap: HeapSizeResult): { row: string; ratio?: number; headersRatio?: number } {
  const [first, ...rest] = heap.samples;
  const agent = rest.filter((s) => s.kind === 'agent');
  const bare = rest.filter((s) => s.kind === 'bare');
  const compared = agent.length > 0 && bare.length > 0;
  const firstAgent = heap.samples.find((s) => s.kind === 'agent')!;
  const agentMs = compared ? median(agent.map((s) => s.ms)) : firstAgent.ms;
  const headersMs = compared ? median(agent.map((s) => s.headersMs!)) : firstAgent.headersMs!;
  const bareMs = compared ? median(bare.map((s) => s.ms)) : undefined;
  const cells = [
    mb(heap.heapUsed),
    `${(heap.objects / 1e6).toFixed(2)} M`,
    mb(first.sizeBytes),
    `${seconds(first.kind === 'agent' ? first.headersMs! : first.ms)} / ${seconds(first.ms)}`,
    compared ? `${seconds(headersMs)} / ${seconds(agentMs)}` : '—',
    bareMs ? seconds(bareMs) : '—',
    bareMs ? `${(headersMs / bareMs).toFixed(3)}× / ${(agentMs / bareMs).toFixed(3)}×` : '—',
    mb(first.rssBefore),
    mb(first.peakRss),
    mb(first.peakRss - first.rssBefore),
    `${((first.peakRss - first.rssBefore) / heap.heapUsed).toFixed(1)}×`,
  ];
  return {
    row: `| ${cells.join(' | ')} |`,
    ratio: bareMs ? agentMs / bareMs : undefined,
    headersRatio: bareMs ? headersMs / bareMs : undefined,
  };
}

function writeResults(results: object): void {
  mkdirSync(join(__dirname, 'out'), { recursive: true });
  writeFileSync(join(__dirname, 'out', 'agent.json'), JSON.stringify(results, null, 2));
}

const PARTS = ['throughput', 'captures', 'profiles', 'sampling'] as const;
type Part = (typeof PARTS)[number];

/**
 * `--only <part>`: throughput, captures (the /metrics render and the captures), profiles (a heap profile's pause and
 * memory against a snapshot's), sampling (throughput with the heap sampler on vs off); undefined: everything.
 */
function parseOnly(args: readonly string[]): Part | undefined {
  const index = args.indexOf('--only');
  if (index === -1) return undefined;
  const part = args[index + 1];
  if (!PARTS.includes(part as Part)) {
    throw new Error(`--only ${part ?? '(missing)'}: the parts that run alone are ${PARTS.join(', ')}`);
  }
  return part as Part;
}

/** Heap sizes of the profile-vs-snapshot part, in MiB (BENCH_PROFILE_HEAPS=100,1024). */
const PROFILE_HEAPS = (process.env.BENCH_PROFILE_HEAPS ?? '100,1024').split(',').map(Number);
/** Sampling intervals the sampling part compares with sampling off, in bytes (BENCH_SAMPLING_INTERVALS). */
const SAMPLING_INTERVALS = (process.env.BENCH_SAMPLING_INTERVALS ?? '2097152,524288').split(',').map(Number);

async function profilesPart(snapshotDir: string): Promise<ProfileVsSnapshot[]> {
  const results: ProfileVsSnapshot[] = [];
  for (const targetMiB of PROFILE_HEAPS) results.push(await measureProfileVsSnapshot(targetMiB, keys, snapshotDir));
  console.log('### Heap profile vs snapshot of the same heap (sampling interval: the agent default, 2 MiB)\n');
  console.log(
    '| heapUsed | objects | profile: pause / total | profile size (samples) | profile peak RSS growth | snapshot: pause | snapshot size | snapshot peak RSS growth | pause ratio | memory ratio |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const snapshot = r.snapshot;
    console.log(
      `| ${mb(r.heapUsed)} | ${(r.objects / 1e6).toFixed(2)} M | ${(r.profile.pauseMs / 1000).toFixed(3)} s / ${(r.profile.totalMs / 1000).toFixed(3)} s | ` +
        `${(r.profile.bytes / 1024).toFixed(0)} KiB (${r.samples}) | ${mb(r.profile.peakRssGrowth)} | ` +
        (snapshot
          ? `${seconds(snapshot.pauseMs)} | ${mb(snapshot.bytes)} | ${mb(snapshot.peakRssGrowth)} | ` +
            `${(snapshot.pauseMs / r.profile.pauseMs).toFixed(0)}× | ${(snapshot.peakRssGrowth / Math.max(MiB, r.profile.peakRssGrowth)).toFixed(0)}× |`
          : `skipped: ${r.snapshotSkipped} | — | — | — | — |`),
    );
  }
  console.log('');
  return results;
}

/**
 * Both sides run the agent, so only the sampler differs; neither is scraped while measured (the scraper reaches one
 * side only, and its cost would land on that side). BENCH_SCRAPE=1 scrapes the sampling side anyway.
 */
async function samplingPart(): Promise<Record<string, ThroughputResult>> {
  process.env.BENCH_SCRAPE ??= '0';
  const results: Record<string, ThroughputResult> = {};
  for (const interval of SAMPLING_INTERVALS) {
    const result = await measureThroughput(keys.publicKey, undefined, undefined, undefined, {
      subjectLabel: `agent sampling every ${interval / 1024} KiB`,
      referenceLabel: 'agent with sampling off',
      subject: { BENCH_WITH_AGENT: '1', BENCH_HEAP_SAMPLING_INTERVAL: String(interval) },
      reference: { BENCH_WITH_AGENT: '1', BENCH_HEAP_SAMPLING: 'off' },
    });
    console.log(throughputReport(result));
    results[String(interval)] = result;
  }
  return results;
}

async function main(): Promise<void> {
  const only = parseOnly(process.argv.slice(2));
  const started = Date.now();
  const snapshotDir = mkdtempSync(join(tmpdir(), 'heapwatch-bench-'));
  try {
    console.log('## heapwatch agent benchmark\n');
    console.log(
      `node ${process.version}, ${process.platform}/${process.arch}, load average ${loadavg()[0].toFixed(1)}\n`,
    );

    if (only === 'profiles' || only === 'sampling') {
      const results = only === 'profiles' ? await profilesPart(snapshotDir) : await samplingPart();
      writeResults({ [only]: results });
      console.log(
        `- load average now ${loadavg()[0].toFixed(1)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      return;
    }
    const t = only === 'captures' ? undefined : await measureThroughput(keys.publicKey);
    if (t) console.log(throughputReport(t));
    if (only === 'throughput') {
      writeResults({ throughput: t });
      console.log(
        `- load average now ${loadavg()[0].toFixed(1)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      return;
    }

    const render = await measureMetricsRender();
    const line = (name: string, r: typeof render.agent) =>
      `- ${name}: p50 ${r.p50Ms.toFixed(3)} ms, **p99 ${r.p99Ms.toFixed(3)} ms**, max ${r.maxMs.toFixed(3)} ms, CPU ${r.cpuMsPerRender.toFixed(3)} ms per render, ${r.bytes} bytes`;
    console.log(
      `### /metrics render time (${render.renders} renders each, alternating, in process; goal p99 ≤ 5 ms)\n`,
    );
    console.log(line('agent registry', render.agent));
    console.log(line('baseline: prom-client default metrics only', render.defaultsOnly));
    console.log(
      `- agent / baseline: p50 ${(render.agent.p50Ms / render.defaultsOnly.p50Ms).toFixed(2)}×, p99 ${(render.agent.p99Ms / render.defaultsOnly.p99Ms).toFixed(2)}×\n`,
    );

    const heaps: HeapSizeResult[] = [];
    for (const [targetMiB, order] of HEAP_SIZES) heaps.push(await measureCaptures(targetMiB, order, keys, snapshotDir));
    console.log('### Capture through the agent vs bare v8.writeHeapSnapshot (same process)\n');
    console.log(
      '| heapUsed | objects | snapshot | first capture: to headers / last byte | later captures (median): to headers / last byte | bare write (median) | ratio to headers / last byte | RSS before | peak RSS | peak − before | (peak − before) / heapUsed |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    const rows = heaps.map(captureRow);
    for (const { row } of rows) console.log(row);
    const ratios = rows.filter((r) => r.ratio !== undefined);
    console.log(
      `\n- capture / bare: to headers ${ratios.map((r) => `${r.headersRatio!.toFixed(3)}×`).join(', ')}; to last byte ${ratios.map((r) => `${r.ratio!.toFixed(3)}×`).join(', ')} (goal ≤ 1.05×)`,
    );
    console.log(
      `- bench process peak RSS ${(memoryOf(process.pid).peakRss / MiB).toFixed(0)} MB; load average now ${loadavg()[0].toFixed(1)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );

    const profiles = await profilesPart(snapshotDir);
    const sampling = await samplingPart();
    writeResults({ throughput: t, render, heaps, profiles, sampling });
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
