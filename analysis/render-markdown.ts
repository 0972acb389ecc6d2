import { formatBytes } from './format-bytes';
import type { DiffReport, Suspect } from './report';

/** Text from the snapshot is user data: keep it from turning into Markdown or HTML. */
function text(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]<>|#!~&]/g, (character) => `\\${character}`);
}

/** A code span that survives backticks and pipes in the content (GFM tables). */
function code(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return `${fence} ${flat} ${fence}`;
}

function signed(value: number, format: (value: number) => string = String): string {
  return value > 0 ? `+${format(value)}` : format(value);
}

function suspectSection(suspect: Suspect, rank: number): string {
  const steps = suspect.retainerPath.map((step, index) => `${index + 1}. ${code(step)}`).join('\n');
  return [
    `### ${rank}. ${text(suspect.name)}${suspect.growsInEveryInterval ? ' (grows in every interval)' : ''}`,
    '',
    `- Held by ${text(suspect.holder.name)} at ${code(suspect.holder.path)}`,
    `- Count per snapshot: ${suspect.counts.join(' → ')} (${signed(suspect.countDelta)}); self size ` +
      `${signed(suspect.sizeDelta, formatBytes)}; retained ${formatBytes(suspect.retainedSize)} ` +
      `(${signed(suspect.retainedDelta, formatBytes)})`,
    `- ${suspect.survivors} objects allocated after the first snapshot are still alive ` +
      `(${formatBytes(suspect.survivorsSize)} self size)`,
    `- Example: ${code(suspect.path)}`,
    '',
    'Retainer path from the GC roots:',
    '',
    steps,
  ].join('\n');
}

/** The diff report as Markdown (GitHub-flavoured), e.g. for an SNS e-mail or a ticket. */
export function renderMarkdown(report: DiffReport): string {
  const lines = [
    '# Heap snapshot diff',
    '',
    `**Verdict: ${report.verdict}** — ${text(report.reasoning)}`,
    '',
    '## Snapshots',
    '',
    '| # | file | size | nodes | reachable heap |',
    '|---|---|---:|---:|---:|',
    ...report.snapshots.map(
      (snapshot, index) =>
        `| ${index + 1} | ${code(snapshot.file)} | ${formatBytes(snapshot.fileBytes)} | ${snapshot.nodeCount} | ` +
        `${formatBytes(snapshot.heapBytes)} |`,
    ),
    '',
    '## Suspects',
    '',
    '| # | class | held by | count | Δ count | Δ self size | retained | Δ retained |',
    '|---|---|---|---|---:|---:|---:|---:|',
    ...report.suspects.map(
      (suspect, index) =>
        `| ${index + 1} | ${text(suspect.name)} | ${code(suspect.holder.path)} | ${suspect.counts.join(' → ')} | ` +
        `${signed(suspect.countDelta)} | ${signed(suspect.sizeDelta, formatBytes)} | ` +
        `${formatBytes(suspect.retainedSize)} | ${signed(suspect.retainedDelta, formatBytes)} |`,
    ),
    '',
    ...report.suspects.flatMap((suspect, index) => [suspectSection(suspect, index + 1), '']),
    '## Holders',
    '',
    '| holder | path | retained | Δ retained |',
    '|---|---|---|---:|',
    ...report.holderGrowth.map(
      (holder) =>
        `| ${text(holder.name)} @${holder.id} | ${code(holder.path)} | ` +
        `${holder.retainedSizes.map(formatBytes).join(' → ')} | ${signed(holder.retainedDelta, formatBytes)} |`,
    ),
    '',
    '## Classes that grew (whole heap)',
    '',
    '| class | count | Δ count | Δ self size |',
    '|---|---|---:|---:|',
    ...report.classGrowth.map(
      (growth) =>
        `| ${text(growth.name)} | ${growth.counts.join(' → ')} | ${signed(growth.countDelta)} | ` +
        `${signed(growth.sizeDelta, formatBytes)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
