import { escapeHtml } from './escape-html';
import { formatBytes } from './format-bytes';
import { INLINING_NOTE } from './profile-verdict';
import { GROWTH_LABEL, linkedSuspects, profileTestText, siteLocation, turnoverText } from './render-profiles-markdown';
import type { AllocationSite, ProfileDiff, ProfileSite, SeriesReport } from './report';
import { barChartSvg } from './svg-charts';

function signed(value: number, format: (value: number) => string = String): string {
  return escapeHtml(value > 0 ? `+${format(value)}` : format(value));
}

export function siteLocationHtml(site: AllocationSite): string {
  return `<code>${escapeHtml(siteLocation(site))}</code>`;
}

function siteRow(site: ProfileSite, rank: number): string {
  return (
    `<tr><td class="number">${rank}</td><td>${escapeHtml(site.name)}</td>` +
    `<td>${escapeHtml(site.samples.join(' → '))}</td>` +
    `<td class="number">${signed(site.sampleDelta)}</td>` +
    `<td class="number">${escapeHtml(formatBytes(site.bytes[site.bytes.length - 1]))}</td>` +
    `<td class="number">${signed(site.bytesDelta, formatBytes)}</td>` +
    `<td>${escapeHtml(GROWTH_LABEL[site.growth])}</td></tr>`
  );
}

function siteDetails(report: SeriesReport, site: ProfileSite, rank: number): string {
  const frames = site.allocationStack.map((frame) => `<li>${escapeHtml(frame)}</li>`).join('');
  const callees =
    site.callees.length > 0
      ? ` Counted with it, from its callees: ${site.callees.map((callee) => `<code>${escapeHtml(callee)}</code>`).join(', ')}.`
      : '';
  const linked = linkedSuspects(report, site);
  const suspects =
    linked.length > 0
      ? ` Snapshot suspect(s): ${linked.map(({ rank, name }) => `#${rank} ${escapeHtml(name)}`).join(', ')}.`
      : '';
  return (
    `<section><h3>${rank}. ${escapeHtml(site.name)}</h3>` +
    `<p>Site: ${siteLocationHtml(site.allocationSite)}${site.inApplication ? '' : ' (no application frame on its stacks)'}. ` +
    `Samples born/died per interval: ${escapeHtml(turnoverText(site))}; live sampled bytes ` +
    `${escapeHtml(site.bytes.map(formatBytes).join(' → '))}.${callees}${suspects}</p>` +
    `<details open><summary>Allocation stack that grew most, innermost first (${site.stackCount} stack(s) allocate ` +
    `here)</summary><ol class="path">${frames}</ol></details></section>`
  );
}

/** The profiles' part of the HTML report: files, totals, a bar chart, the sites table and one section per site. */
export function profileHtml(report: SeriesReport, profiles: ProfileDiff): string {
  const own =
    report.verdicts !== undefined
      ? `<p>Profiles alone: <strong>${escapeHtml(profiles.verdict)}</strong> — ${escapeHtml(profiles.reasoning)}</p>`
      : '';
  const files = profiles.profiles
    .map(
      (profile, index) =>
        `<tr><td class="number">${index + 1}</td><td><code>${escapeHtml(profile.file)}</code></td>` +
        `<td class="number">${escapeHtml(formatBytes(profile.fileBytes))}</td>` +
        `<td class="number">${profile.samples}</td>` +
        `<td class="number">${escapeHtml(formatBytes(profile.bytes))}</td></tr>`,
    )
    .join('');
  const growers = profiles.sites
    .filter((site) => site.bytesDelta > 0)
    .map((site) => ({ label: site.name, value: site.bytesDelta }));
  return `<h2>Heap profiles</h2>
${own}
<table><tr><th>#</th><th>file</th><th>size</th><th>samples</th><th>live sampled bytes</th></tr>${files}</table>
<p>${escapeHtml(profileTestText(profiles))}</p>
<h2>Allocation sites</h2>
<p>${escapeHtml(INLINING_NOTE)} Profiles record where objects were allocated, not what holds them.</p>
${growers.length > 0 ? barChartSvg(growers, 'Live sampled bytes gained, first → last profile') : '<p>No site grew.</p>'}
<table><tr><th>#</th><th>site</th><th>samples</th><th>Δ samples</th><th>live sampled bytes</th><th>Δ bytes</th>
<th>grows</th></tr>
${profiles.sites.map((site, index) => siteRow(site, index + 1)).join('\n')}</table>
${profiles.sites.map((site, index) => siteDetails(report, site, index + 1)).join('\n')}
`;
}
