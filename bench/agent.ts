// npm run bench:agent — the agent's cost: demo throughput with vs without it, /metrics render time, and capture
// time and peak memory vs a bare v8.writeHeapSnapshot for three heap sizes (calibrates the headroom guard).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureCaptures } from './agent/capture';
import { MiB, mb, median, memoryOf, seconds } from './agent/measure';
import { measureMetricsRender } from './agent/metrics-render';
import { measureThroughput } from './agent/throughput';

const secret = 'bench-secret-'.padEnd(64, 'b');
const HEAP_SIZES: ReadonlyArray<[number, ReadonlyArray<'agent' | 'bare'>]> = [
  [50, ['agent', 'bare', 'bare', 'agent']],
  [150, ['agent', 'bare']],
  [300, ['agent']],
];

async function main(): Promise<void> {
  const started = Date.now();
  const snapshotDir = mkdtempSync(join(tmpdir(), 'heapwatch-bench-'));
  try {
    console.log('## heapwatch agent benchmark\n');
    console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);

    const throughput = await measureThroughput(secret);
    console.log('### Demo throughput with the agent vs without (autocannon, 10 connections, 8 alternating 4 s runs)\n');
    console.log(
      `- with agent: ${throughput.withAgentRequests} requests (scraped ${throughput.scrapes}× at 1/s), p99 ≤ ${throughput.withAgentP99Ms} ms, peak RSS ${throughput.peakRssWithMiB.toFixed(0)} MB`,
    );
    console.log(
      `- without:    ${throughput.withoutAgentRequests} requests, p99 ≤ ${throughput.withoutAgentP99Ms} ms, peak RSS ${throughput.peakRssWithoutMiB.toFixed(0)} MB`,
    );
    console.log(
      `- **ratio ${(throughput.ratio * 100).toFixed(1)}%** (goal ≥ 99%); per pair: ${throughput.pairRatios.map((r) => `${(r * 100).toFixed(1)}%`).join(', ')}\n`,
    );

    const render = await measureMetricsRender();
    console.log(`### /metrics render time (${render.renders} renders of ${render.bytes} bytes)\n`);
    console.log(
      `- p50 ${render.p50Ms.toFixed(3)} ms, **p99 ${render.p99Ms.toFixed(3)} ms** (goal ≤ 5 ms), max ${render.maxMs.toFixed(3)} ms\n`,
    );

    const heaps = [];
    for (const [targetMiB, order] of HEAP_SIZES)
      heaps.push(await measureCaptures(targetMiB, order, secret, snapshotDir));
    console.log('### Capture through the agent vs bare v8.writeHeapSnapshot (same process)\n');
    console.log(
      '| heapUsed | objects | snapshot | capture via agent (POST → last byte) | bare writeHeapSnapshot | ratio | RSS before | peak RSS | peak − before | (peak − before) / heapUsed |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    const ratios: number[] = [];
    for (const heap of heaps) {
      const agent = heap.samples.filter((s) => s.kind === 'agent');
      const bare = heap.samples.filter((s) => s.kind === 'bare');
      const agentMs = median(agent.map((s) => s.ms));
      const bareMs = bare.length ? median(bare.map((s) => s.ms)) : undefined;
      if (bareMs) ratios.push(agentMs / bareMs);
      const first = agent[0];
      const growth = Math.max(...agent.map((s) => s.peakRss - s.rssBefore));
      console.log(
        `| ${mb(heap.heapUsed)} | ${(heap.objects / 1e6).toFixed(2)} M | ${mb(first.sizeBytes)} | ${seconds(agentMs)} | ${bareMs ? seconds(bareMs) : '—'} | ${bareMs ? `${(agentMs / bareMs).toFixed(3)}×` : '—'} | ${mb(first.rssBefore)} | ${mb(Math.max(...agent.map((s) => s.peakRss)))} | ${mb(growth)} | ${(growth / heap.heapUsed).toFixed(1)}× |`,
      );
    }
    console.log(
      `\n- capture / bare (median of each, per heap size with both): ${ratios.map((r) => `${r.toFixed(3)}×`).join(', ')} (goal ≤ 1.05×)`,
    );
    console.log(
      `- bench process peak RSS ${(memoryOf(process.pid).peakRss / MiB).toFixed(0)} MB; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );

    mkdirSync(join(__dirname, 'out'), { recursive: true });
    writeFileSync(join(__dirname, 'out', 'agent.json'), JSON.stringify({ throughput, render, heaps }, null, 2));
  } finally {
    rmSync(snapshotDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
