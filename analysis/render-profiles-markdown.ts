import { formatBytes } from './format-bytes';
import { markdownCode as code, signed, markdownText as text } from './markdown-escape';
import { shortUrl } from './profile-frames';
import { INLINING_NOTE } from './profile-verdict';
import type { AllocationSite, ProfileDiff, ProfileSite, SeriesReport, Suspect } from './report';
import { isSiteSuspect } from './suspect-links';

/** `renderPage (/app/src/pages.js:12:3)`, as a stack trace writes a frame. */
export function siteLocation(site: AllocationSite): string {
  return `${site.functionName === '' ? '(anonymous)' : site.functionName} (${site.url}:${site.line}:${site.column})`;
}

/** `renderPage (…/src/pages.js:12)`, short enough for a table cell. */
export function shortSiteName(site: AllocationSite): string {
  return `${site.functionName === '' ? '(anonymous)' : site.functionName} (${shortUrl(site.url)}:${site.line})`;
}

export function sameSite(a: AllocationSite, b: AllocationSite): boolean {
  return a.functionName === b.functionName && a.url === b.url && a.line === b.line && a.column === b.column;
}

/** Snapshot suspects of the report that carry this site, with their rank among the snapshot suspects. */
export function linkedSuspects(report: SeriesReport, site: ProfileSite): Array<{ rank: number; name: string }> {
  const snapshotSuspects = report.suspects.filter((suspect): suspect is Suspect => !isSiteSuspect(suspect));
  return snapshotSuspects.flatMap((suspect, index) =>
    suspect.allocationSite && sameSite(suspect.allocationSite, site.allocationSite)
      ? [{ rank: index + 1, name: suspect.name }]
      : [],
  );
}

export const GROWTH_LABEL: Readonly<Record<ProfileSite['growth'], string>> = {
  'every-interval': 'every interval',
  overall: 'first → last only',
  'within-noise': 'within noise',
};

/** `+180/−3, +150/−2`: samples born and died in each interval. */
export function turnoverText(site: Pick<ProfileSite, 'turnover'>): string {
  return site.turnover.map(({ born, died }) => `+${born}/−${died}`).join(', ');
}

function siteSection(report: SeriesReport, site: ProfileSite, rank: number): string {
  const linked = linkedSuspects(report, site);
  return [
    `### ${rank}. ${text(site.name)}${site.growth === 'every-interval' ? ' (grows in every interval)' : ''}`,
    '',
    `- Site: ${code(siteLocation(site.allocationSite))}${site.inApplication ? '' : ' (no application frame on its stacks)'}`,
    `- Samples per profile: ${site.samples.join(' → ')} (${signed(site.sampleDelta)}; born/died per interval ` +
      `${turnoverText(site)}); live sampled bytes ${site.bytes.map(formatBytes).join(' → ')} ` +
      `(${signed(site.bytesDelta, formatBytes)})`,
    ...(site.callees.length > 0 ? [`- Counted with it, from its callees: ${site.callees.map(code).join(', ')}`] : []),
    ...(linked.length > 0
      ? [`- Snapshot suspect(s): ${linked.map(({ rank, name }) => `#${rank} ${text(name)}`).join(', ')}`]
      : []),
    `- ${site.stackCount} stack(s) allocate here; the one that grew most, innermost first:`,
    '',
    ...site.allocationStack.map((frame, index) => `${index + 1}. ${code(frame)}`),
  ].join('\n');
}

/** The interval, the totals and the test, in plain text (numbers and fixed words only). */
export function profileTestText({ samplingIntervalBytes, total, threshold, captureBytes }: ProfileDiff): string {
  const capture = captureBytes.some((bytes) => bytes > 0)
    ? ` Of them, ${captureBytes.map(formatBytes).join(' → ')} were allocated by heap snapshots of the series ` +
      "(V8's caches for the snapshot) and are left out."
    : '';
  return (
    `Sampling interval ≈ ${formatBytes(samplingIntervalBytes)}.${capture} All samples: born/died per interval ` +
    `${turnoverText(total)}; ${total.growsInEveryInterval ? 'grew' : 'did not grow'} beyond noise in every interval. ` +
    `A site grows in an interval when samples born − died > ${threshold.siteZ.toFixed(2)}·√(born + died) and ` +
    `≥ ${threshold.minSampleGrowth} (z for ${threshold.sitesExamined} sites at a ` +
    `${threshold.familyFalseAlarmRate * 100} % family-wise false-alarm rate), and gains ` +
    `${formatBytes(threshold.minGrowthBytes)} first → last.`
  );
}

/** The profiles' part of a report: files, totals, the sites table and one section per site. */
export function profileMarkdown(report: SeriesReport, profiles: ProfileDiff): string[] {
  const own =
    report.verdicts !== undefined ? [`Profiles alone: **${profiles.verdict}** — ${text(profiles.reasoning)}`, ''] : [];
  return [
    '## Heap profiles',
    '',
    ...own,
    '| # | file | size | samples | live sampled bytes |',
    '|---|---|---:|---:|---:|',
    ...profiles.profiles.map(
      (profile, index) =>
        `| ${index + 1} | ${code(profile.file)} | ${formatBytes(profile.fileBytes)} | ${profile.samples} | ` +
        `${formatBytes(profile.bytes)} |`,
    ),
    '',
    profileTestText(profiles),
    '',
    '## Allocation sites',
    '',
    `${INLINING_NOTE} Profiles record where objects were allocated, not what holds them.`,
    '',
    '| # | site | samples | Δ samples | live sampled bytes | Δ bytes | grows |',
    '|---|---|---|---:|---:|---:|---|',
    ...profiles.sites.map(
      (site, index) =>
        `| ${index + 1} | ${text(site.name)} | ${site.samples.join(' → ')} | ${signed(site.sampleDelta)} | ` +
        `${formatBytes(site.bytes[site.bytes.length - 1])} | ${signed(site.bytesDelta, formatBytes)} | ` +
        `${GROWTH_LABEL[site.growth]} |`,
    ),
    '',
    ...profiles.sites.flatMap((site, index) => [siteSection(report, site, index + 1), '']),
  ];
}
