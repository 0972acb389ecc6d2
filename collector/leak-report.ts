/** The analysis's report as the collector relies on it (structurally the same as analysis' DiffReport). */
export interface LeakSuspect {
  readonly name: string;
  readonly countDelta: number;
  readonly sizeDelta: number;
  readonly retainedSize: number;
  readonly retainerPath: readonly string[];
}

export interface LeakReport {
  readonly verdict: 'leak' | 'no-leak' | 'inconclusive';
  readonly reasoning?: string;
  readonly suspects: readonly LeakSuspect[];
}

/** The analysis functions the report step needs; the Lambda wires in `analysis/`. */
export interface SeriesAnalyzer {
  diff(paths: string[], options: { readonly top: number }): Promise<LeakReport>;
  renderMarkdown(report: LeakReport): string;
  renderHtml(report: LeakReport, options: { readonly title: string }): string;
}
