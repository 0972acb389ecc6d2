import type { LeakReport } from './leak-report';
import type { SeriesState } from './series';

/** How a step failure arrives from the state machine's Catch (`resultPath: '$.failure'`). */
export interface SeriesFailure {
  readonly Error?: string;
  readonly Cause?: string;
}

export interface ReportLocations {
  readonly json: string;
  readonly md: string;
  readonly html: string;
}

const MAX_SUSPECTS_IN_SUMMARY = 3;
const MAX_PATH_STEPS = 6;

/** The error message of a failed step, out of the Lambda error JSON Step Functions passes on. */
export function failureText(failure: SeriesFailure): string {
  try {
    const cause = JSON.parse(failure.Cause ?? '') as { errorMessage?: string };
    if (cause.errorMessage) return cause.errorMessage;
  } catch {
    // Cause is not the Lambda error JSON: show it as it is.
  }
  return failure.Cause ?? failure.Error ?? 'unknown error';
}

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB']) {
    if (value < 1024 || unit === 'GiB') return `${sign}${unit === 'B' ? value : value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${sign}${value} B`;
}

/** Short SNS subject (≤ 100 characters, as SNS requires). */
export function summarySubject(task: string, verdict: string): string {
  const subject = `heapwatch ${verdict}: ${task}`;
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

/** The few lines an on-call reads on a phone: verdict, top suspects with their retainer paths, where the rest is. */
export function summaryText(
  state: Partial<SeriesState>,
  report: LeakReport | undefined,
  locations: ReportLocations | undefined,
  failure: SeriesFailure | undefined,
): string {
  const task = `${state.cluster}/${state.service}/${state.taskId ?? '(task not found)'}`;
  const lines = [`heapwatch capture series of ${task} (${state.reason ?? 'manual'})`];
  if (report) {
    lines.push(`verdict: ${report.verdict}${report.reasoning ? ` — ${report.reasoning}` : ''}`);
    report.suspects.slice(0, MAX_SUSPECTS_IN_SUMMARY).forEach((suspect, index) => {
      lines.push(
        `${index + 1}. ${suspect.name}: +${suspect.countDelta} objects, ${formatBytes(suspect.sizeDelta)} more, retains ${formatBytes(suspect.retainedSize)}`,
        // The end of the path names the culprit; its start is always the same GC roots.
        `   retained by: ${suspect.retainerPath.length > MAX_PATH_STEPS ? '… → ' : ''}${suspect.retainerPath.slice(-MAX_PATH_STEPS).join(' → ')}`,
      );
      if (suspect.path) lines.push(`   at: ${suspect.path}`);
      const site = suspect.allocationSite;
      if (site)
        lines.push(`   allocated in: ${site.functionName || '(anonymous)'} (${site.url}:${site.line}:${site.column})`);
    });
  }
  if (failure) lines.push(`failed: ${failureText(failure)}`);
  const skipped = state.skippedSnapshots ?? [];
  if (skipped.length > 0) {
    lines.push(
      `snapshots skipped in ${skipped.length} step(s) (${[...new Set(skipped.map((s) => s.reason))].join(', ')}): diagnosed from heap profiles`,
    );
  }
  for (const [label, captures] of [
    ['heap profiles', state.profiles ?? []],
    ['snapshots', state.snapshots ?? []],
  ] as const) {
    if (captures.length === 0) continue;
    lines.push(`${label} (${captures.length} of ${state.count ?? captures.length}):`);
    for (const capture of captures)
      lines.push(`  s3://${capture.bucket}/${capture.key} (${formatBytes(capture.bytes)})`);
  }
  if (locations) lines.push(`report: ${locations.md}`, `        ${locations.html}`, `        ${locations.json}`);
  return lines.join('\n');
}
