import type { RatioSpread } from './spread';
import type { SideResult, ThroughputResult } from './throughput';

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const spread = (s: RatioSpread) =>
  `**${percent(s.median)}** (IQR ${percent(s.q1)}–${percent(s.q3)}, range ${percent(s.min)}–${percent(s.max)})`;

/** The throughput section of the benchmark output, in Markdown. */
export function throughputReport(t: ThroughputResult): string {
  const side = (name: string, r: SideResult) =>
    `- ${name}: ${r.requests} requests, worst p99 ${r.worstP99Ms} ms, ${r.cpuMicrosPerRequest.toFixed(1)} µs CPU/request, ` +
    `server CPU busy ${percent(r.serverBusy)} while loaded, peak RSS ${r.peakRssMiB.toFixed(0)} MB`;
  const placement = t.cores.pinned
    ? `servers pinned to core ${t.cores.serverCore}, autocannon to core ${t.cores.loadCore}`
    : `NOT pinned: ${t.cores.reason}`;
  return [
    `### Demo throughput with the agent vs without (autocannon, 10 connections, ${t.rounds} rounds × 3 servers × ${t.runSeconds} s, one server loaded at a time, ${placement})\n`,
    side(`with agent (/metrics scraped ${t.scrapes}× at 1/s, ${t.failedScrapes} failed)`, t.withAgent),
    side('without agent', t.withoutAgent),
    side('control (a second process without agent)', t.control),
    `- load generator CPU busy ${percent(t.loadGeneratorBusy)} while loading`,
    `- **throughput with / without, median of per-round ratios ${spread(t.ratio)}** (goal ≥ 99%)`,
    `- noise floor, control / without measured the same way: ${spread(t.controlRatio)}`,
    `- CPU per request without / with: ${spread(t.cpuRatio)}; control: ${spread(t.controlCpuRatio)}`,
    `- over all rounds: requests with / without ${percent(t.withAgent.requests / t.withoutAgent.requests)}, ` +
      `control ${percent(t.control.requests / t.withoutAgent.requests)}; CPU per request without / with ` +
      `${percent(t.withoutAgent.cpuMicrosPerRequest / t.withAgent.cpuMicrosPerRequest)}, control ` +
      `${percent(t.withoutAgent.cpuMicrosPerRequest / t.control.cpuMicrosPerRequest)}\n`,
  ].join('\n');
}
