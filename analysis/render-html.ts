import { escapeHtml } from './escape-html';
import { formatBytes } from './format-bytes';
import { profileHtml, siteLocationHtml } from './render-profiles-html';
import { shortSiteName } from './render-profiles-markdown';
import type { SeriesReport, Suspect } from './report';
import { isSiteSuspect } from './suspect-links';
import { barChartSvg, type LineSeries, lineChartSvg } from './svg-charts';

export interface HtmlReportOptions {
  /** Page title. @default - 'heapwatch: heap snapshot diff' (or heap profile diff, or both) */
  readonly title?: string;
  /** Heap over time (e.g. old space from Prometheus), drawn as a line chart. @default - no chart */
  readonly heapSeries?: LineSeries[];
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212529; max-width: 1200px; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #dee2e6; padding: 4px 8px; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f1f3f5; padding: 1px 4px; word-break: break-all; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; color: white; font-weight: bold; }
.verdict.leak { background: #c92a2a; } .verdict.no-leak { background: #2b8a3e; }
.verdict.inconclusive { background: #e67700; }
ol.path li { font-family: ui-monospace, monospace; }
`;

export function signedHtml(value: number, format: (value: number) => string = String): string {
  return escapeHtml(value > 0 ? `+${format(value)}` : format(value));
}
const signed = signedHtml;

function suspectRow(suspect: Suspect, rank: number, sites: boolean): string {
  const site = suspect.allocationSite ? escapeHtml(shortSiteName(suspect.allocationSite)) : '—';
  return (
    `<tr><td class="number">${rank}</td><td>${escapeHtml(suspect.name)}</td>` +
    `<td><code>${escapeHtml(suspect.holder.path)}</code></td>` +
    `<td>${escapeHtml(suspect.counts.join(' → '))}</td>` +
    `<td class="number">${signed(suspect.countDelta)}</td>` +
    `<td class="number">${signed(suspect.sizeDelta, formatBytes)}</td>` +
    `<td class="number">${escapeHtml(formatBytes(suspect.retainedSize))}</td>` +
    `<td class="number">${signed(suspect.retainedDelta, formatBytes)}</td>` +
    `<td>${suspect.growsInEveryInterval ? 'every interval' : ''}</td>${sites ? `<td>${site}</td>` : ''}</tr>`
  );
}

function suspectDetails(suspect: Suspect, rank: number): string {
  const steps = suspect.retainerPath.map((step) => `<li>${escapeHtml(step)}</li>`).join('');
  return (
    `<section><h3>${rank}. ${escapeHtml(suspect.name)}</h3>` +
    `<p>Held by ${escapeHtml(suspect.holder.name)} (@${suspect.holder.id}) at ` +
    `<code>${escapeHtml(suspect.holder.path)}</code>; ${suspect.survivors} objects allocated after the first ` +
    `snapshot are still alive. Example: <code>${escapeHtml(suspect.path)}</code></p>` +
    allocationHtml(suspect) +
    `<details><summary>Retainer path from the GC roots (${suspect.retainerPath.length} steps)</summary>` +
    `<ol class="path">${steps}</ol></details></section>`
  );
}

function allocationHtml(suspect: Suspect): string {
  if (!suspect.allocationSite) return '';
  const stack = suspect.allocationStack ?? [];
  const frames = stack.map((frame) => `<li>${escapeHtml(frame)}</li>`).join('');
  const evidence = suspect.allocationEvidence ? ` (${escapeHtml(suspect.allocationEvidence)})` : '';
  return (
    `<p>Allocated at ${siteLocationHtml(suspect.allocationSite)}${evidence}.</p>` +
    `<details><summary>Allocation stack, innermost first (${stack.length} frames)</summary>` +
    `<ol class="path">${frames}</ol></details>`
  );
}

function snapshotHtml(report: SeriesReport): string {
  const suspects = report.suspects.filter((suspect): suspect is Suspect => !isSiteSuspect(suspect));
  const sites = report.profiles !== undefined;
  const growers = suspects
    .filter((suspect) => suspect.retainedDelta > 0)
    .map((suspect) => ({ label: `${suspect.name} @ ${suspect.holder.path}`, value: suspect.retainedDelta }));
  const snapshots = report.snapshots
    .map(
      (snapshot, index) =>
        `<tr><td class="number">${index + 1}</td><td><code>${escapeHtml(snapshot.file)}</code></td>` +
        `<td class="number">${escapeHtml(formatBytes(snapshot.fileBytes))}</td>` +
        `<td class="number">${snapshot.nodeCount}</td>` +
        `<td class="number">${escapeHtml(formatBytes(snapshot.heapBytes))}</td></tr>`,
    )
    .join('');
  const holders = report.holderGrowth
    .map(
      (holder) =>
        `<tr><td>${escapeHtml(holder.name)} @${holder.id}</td><td><code>${escapeHtml(holder.path)}</code></td>` +
        `<td>${escapeHtml(holder.retainedSizes.map(formatBytes).join(' → '))}</td>` +
        `<td class="number">${signed(holder.retainedDelta, formatBytes)}</td></tr>`,
    )
    .join('');
  const classes = report.classGrowth
    .map(
      (growth) =>
        `<tr><td>${escapeHtml(growth.name)}</td><td>${escapeHtml(growth.counts.join(' → '))}</td>` +
        `<td class="number">${signed(growth.countDelta)}</td>` +
        `<td class="number">${signed(growth.sizeDelta, formatBytes)}</td></tr>`,
    )
    .join('');
  return `<h2>Snapshots</h2>
<table><tr><th>#</th><th>file</th><th>size</th><th>nodes</th><th>reachable heap</th></tr>${snapshots}</table>
<h2>Suspects</h2>
${growers.length > 0 ? barChartSvg(growers, 'Retained growth, first → last snapshot') : '<p>No group grew.</p>'}
<table><tr><th>#</th><th>class</th><th>held by</th><th>count</th><th>Δ count</th><th>Δ self size</th>
<th>retained</th><th>Δ retained</th><th>grows</th>${sites ? '<th>allocated at</th>' : ''}</tr>
${suspects.map((suspect, index) => suspectRow(suspect, index + 1, sites)).join('\n')}</table>
${suspects.map((suspect, index) => suspectDetails(suspect, index + 1)).join('\n')}
<h2>Holders</h2>
<table><tr><th>holder</th><th>path</th><th>retained</th><th>Δ retained</th></tr>${holders}</table>
<h2>Classes that grew (whole heap)</h2>
<table><tr><th>class</th><th>count</th><th>Δ count</th><th>Δ self size</th></tr>${classes}</table>
`;
}

/** A self-contained page (inline CSS and SVG, no script, no network): safe to attach to an alert or open offline. */
export function renderHtml(report: SeriesReport, options: HtmlReportOptions = {}): string {
  const hasSnapshots = report.snapshots.length > 0 || !report.profiles;
  const kind = !report.profiles ? 'heap snapshot' : hasSnapshots ? 'heap snapshot and profile' : 'heap profile';
  const title = options.title ?? `heapwatch: ${kind} diff`;
  const heapChart =
    options.heapSeries && options.heapSeries.length > 0 ? lineChartSvg(options.heapSeries, 'Heap over time') : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p><span class="verdict ${escapeHtml(report.verdict)}">${escapeHtml(report.verdict)}</span></p>
<p>${escapeHtml(report.reasoning)}</p>
${heapChart}
${hasSnapshots ? snapshotHtml(report) : ''}${report.profiles ? profileHtml(report, report.profiles) : ''}
<p><small>Analysed in ${report.analysisMs} ms by heapwatch.</small></p>
</body></html>
`;
}
