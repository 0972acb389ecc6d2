/** The part of the analysis's report the collector reads (analysis' DiffReport has these and more). */
export interface LeakSuspect {
  readonly name: string;
  readonly countDelta: number;
  readonly sizeDelta: number;
  readonly retainedSize: number;
  readonly retainerPath: readonly string[];
  /** The retainer path as code, e.g. `renderPage.cache.__data__.string.__data__["home:1"]`. */
  readonly path?: string;
  /** Where the growing objects are allocated: the nearest frame in the application's own code (1-based). */
  readonly allocationSite?: {
    readonly functionName: string;
    readonly url: string;
    readonly line: number;
    readonly column: number;
  };
}

export interface LeakReport {
  readonly verdict: 'leak' | 'no-leak' | 'inconclusive';
  readonly reasoning?: string;
  readonly suspects: readonly LeakSuspect[];
}

/** The analysis functions the report step needs; the Lambda wires in `analysis/` (collector/ never imports it). */
export interface SeriesAnalyzer<R extends LeakReport = LeakReport> {
  /** Diffs the files of one series, oldest first: 2–3 `.heapprofile` and/or 2–3 `.heapsnapshot` files. */
  diff(paths: string[], options: { readonly top: number }): Promise<R>;
  renderMarkdown(report: R): string;
  renderHtml(report: R, options: { readonly title: string }): string;
  /** A report, in the analysis' own shape, for a series that was not analysed (e.g. too large). */
  notAnalysed(reasoning: string): R;
}

/** The analysis diffs 2 or 3 captures of a kind: a longer series contributes its first, middle and last. */
export function pickForDiff<T>(snapshots: readonly T[]): T[] {
  if (snapshots.length <= 3) return [...snapshots];
  return [snapshots[0], snapshots[Math.floor((snapshots.length - 1) / 2)], snapshots[snapshots.length - 1]];
}
