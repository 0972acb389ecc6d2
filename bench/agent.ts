// npm run bench:agent — the agent's cost: demo throughput with vs without it, /metrics render time, and capture
// time and peak memory vs a bare v8.writeHeapSnapshot for three heap sizes (calibrates the headroom guard).
// `npm run bench:agent -- --only throughput` runs the throughput part alone (≈ 5 minutes), `--only captures` the
// render and capture parts (≈ 3 minutes).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HeapSizeResult, measureCaptures } from './agent/capture';
import { MiB, mb, median, memoryOf, seconds } from './agent/measure';
import { measureMetricsRender } from './agent/metrics-render';
import { measureThroughput } from './agent/throughput';
import { throughputReport } from './agent/throughput-report';

const secret = 'bench-secret-'.padEnd(64, 'b');
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

type Part = 'throughput' | 'captures';

/** `--only throughput` or `--only captures` (the /metrics render and the captures); undefined: everything. */
function parseOnly(args: readonly string[]): Part | undefined {
  const index = args.indexOf('--only');
  if (index === -1) return undefined;
  const part = args[index + 1];
  if (part !== 'throughput' && part !== 'captures') {
    throw new Error(`--only ${part ?? '(missing)'}: the parts that run alone are "throughput" and "captures"`);
  }
  return part;
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

    const t = only === 'captures' ? undefined : await measureThroughput(secret);
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
    for (const [targetMiB, order] of HEAP_SIZES)
      heaps.push(await measureCaptures(targetMiB, order, secret, snapshotDir));
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

    writeResults({ throughput: t, render, heaps });
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
