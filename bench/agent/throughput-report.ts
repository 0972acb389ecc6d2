import type { RatioSpread } from './spread';
import type { PairResult, ThroughputResult } from './throughput';

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const spread = (s: RatioSpread) =>
  `median **${percent(s.median)}**, mean ${percent(s.mean)} (range ${percent(s.min)}–${percent(s.max)}; pairs: ${s.pairs.map(percent).join(', ')})`;

function pairRow(pair: PairResult, index: number, subjectLabel: string): string {
  return `| ${index + 1} | ${pair.kind === 'agent' ? subjectLabel : 'control twin'} | ${pair.firstForked} | ${pair.subjectRequests} / ${pair.referenceRequests} | ${percent(pair.requestRatio)} | ${pair.subjectCpuMicrosPerRequest.toFixed(1)} / ${pair.referenceCpuMicrosPerRequest.toFixed(1)} µs | ${percent(pair.cpuRatio)} | ${percent(pair.serverCoreBusy)} | ${pair.worstP99Ms} ms | ${pair.subjectPeakRssMiB.toFixed(0)} MB | ${pair.youngGenerationMiB.subject.toFixed(0)} / ${pair.youngGenerationMiB.reference.toFixed(0)} MiB |`;
}

/** The throughput section of the benchmark output, in Markdown. */
export function throughputReport(t: ThroughputResult): string {
  const placement = t.cores.pinned
    ? `each pair pinned to core ${t.cores.serverCore}, autocannon and the scraper to core ${t.cores.loadCore}`
    : `NOT pinned: ${t.cores.reason}`;
  const scraped =
    t.scrapeIntervalSeconds === undefined
      ? 'the agent not scraped'
      : `the agent's /metrics scraped every ${t.scrapeIntervalSeconds} s by a separate process (${t.scrapes} scrapes while measured, ${t.failedScrapes} failed)`;
  const before = t.scrapesBeforeLoad > 0 ? `, and ${t.scrapesBeforeLoad} times before its app was loaded` : '';
  return [
    `### Demo throughput ${t.labels.subject} vs ${t.labels.reference} (${t.pairsPerKind} agent pairs and ${t.pairsPerKind} control pairs of fresh processes, both loaded at once by autocannon with 10 connections each, ${t.warmupSeconds} s warm-up + ${t.measureSeconds} s measured; ${t.nodeFlags.length > 0 ? `both started with ${t.nodeFlags.join(' ')}: V8's young generation at its maximum, as under sustained load` : "V8's default young generation"}; ${placement}; ${scraped}${before})\n`,
    '| pair | subject | forked first | requests subject / reference | ratio | CPU per request subject / reference | CPU ratio | server core busy | worst p99 | subject peak RSS | young generation subject / reference when measured |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...t.pairs.map((pair, index) => pairRow(pair, index, t.labels.subject)),
    '',
    `- **throughput ${t.labels.subject} / ${t.labels.reference}: ${spread(t.agent)}** (goal ≥ 99%)`,
    `- noise, control twin / twin measured the same way: ${spread(t.control)}`,
    `- CPU per request ${t.labels.reference} / ${t.labels.subject}: ${spread(t.agentCpu)}; control: ${spread(t.controlCpu)}`,
    `- load generator CPU busy ${percent(t.loadGeneratorBusy)} while loading\n`,
  ].join('\n');
}
