import { formatBytes } from './format-bytes';
import { markdownCode as code, signed, markdownText as text } from './markdown-escape';
import { profileMarkdown, shortSiteName, siteLocation } from './render-profiles-markdown';
import type { SeriesReport, Suspect } from './report';
import { isSiteSuspect } from './suspect-links';

function allocationLines(suspect: Suspect): string[] {
  if (!suspect.allocationSite) return [];
  const evidence = suspect.allocationEvidence ? ` (${text(suspect.allocationEvidence)})` : '';
  return [
    `- Allocated at ${code(siteLocation(suspect.allocationSite))}${evidence}`,
    '',
    'Allocation stack (innermost first):',
    '',
    ...(suspect.allocationStack ?? []).map((frame, index) => `${index + 1}. ${code(frame)}`),
  ];
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
    ...allocationLines(suspect),
    '',
    'Retainer path from the GC roots:',
    '',
    steps,
  ].join('\n');
}

function snapshotMarkdown(report: SeriesReport): string[] {
  const suspects = report.suspects.filter((suspect): suspect is Suspect => !isSiteSuspect(suspect));
  const sites = report.profiles !== undefined;
  return [
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
    `| # | class | held by | count | Δ count | Δ self size | retained | Δ retained |${sites ? ' allocated at |' : ''}`,
    `|---|---|---|---|---:|---:|---:|---:|${sites ? '---|' : ''}`,
    ...suspects.map(
      (suspect, index) =>
        `| ${index + 1} | ${text(suspect.name)} | ${code(suspect.holder.path)} | ${suspect.counts.join(' → ')} | ` +
        `${signed(suspect.countDelta)} | ${signed(suspect.sizeDelta, formatBytes)} | ` +
        `${formatBytes(suspect.retainedSize)} | ${signed(suspect.retainedDelta, formatBytes)} |` +
        (sites ? ` ${suspect.allocationSite ? text(shortSiteName(suspect.allocationSite)) : '—'} |` : ''),
    ),
    '',
    ...suspects.flatMap((suspect, index) => [suspectSection(suspect, index + 1), '']),
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
}

/** The diff report as Markdown (GitHub-flavoured), e.g. for an SNS e-mail or a ticket. */
export function renderMarkdown(report: SeriesReport): string {
  const hasSnapshots = report.snapshots.length > 0;
  const title = !report.profiles
    ? 'Heap snapshot diff'
    : hasSnapshots
      ? 'Heap snapshot and profile diff'
      : 'Heap profile diff';
  const lines = [
    `# ${title}`,
    '',
    `**Verdict: ${report.verdict}** — ${text(report.reasoning)}`,
    '',
    ...(hasSnapshots || !report.profiles ? snapshotMarkdown(report) : []),
    ...(report.profiles ? profileMarkdown(report, report.profiles) : []),
  ];
  return lines.join('\n');
}
