/** The JSON contract of `heapwatch diff --json` (DESIGN.md "Analysis"); Markdown and HTML render it. */
export type Verdict = 'leak' | 'no-leak' | 'inconclusive';

export interface SnapshotInfo {
  readonly file: string;
  readonly fileBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Bytes reachable from the GC roots (the root's retained size). */
  readonly heapBytes: number;
}

/** Objects of one class accumulating under one holder, most likely leak first. */
export interface Suspect {
  /** Class (constructor) name, `(closure) fn` or `(string)`. */
  readonly name: string;
  /** Count in the last snapshot minus the first (this class under this holder). */
  readonly countDelta: number;
  /** Self size in the last snapshot minus the first, in bytes. */
  readonly sizeDelta: number;
  /** Retained size of the group in the last snapshot, in bytes. */
  readonly retainedSize: number;
  readonly retainedDelta: number;
  /** Steps from the GC root to a representative object, `Holder.accessor` each. */
  readonly retainerPath: string[];
  /** The same path as a developer would write it, e.g. `renderPage.cache.__data__.string.__data__["home:1"]`. */
  readonly path: string;
  /** The long-lived object (already there at the first snapshot) that dominates the survivors. */
  readonly holder: { readonly name: string; readonly id: number; readonly path: string };
  /** Per snapshot, oldest first. */
  readonly counts: number[];
  readonly selfSizes: number[];
  readonly retainedSizes: number[];
  /** Objects allocated after the first snapshot and alive in the last. */
  readonly survivors: number;
  readonly survivorsSize: number;
  /** True when the group grew in every interval between snapshots. */
  readonly growsInEveryInterval: boolean;
}

/** Growth of one class over the whole heap (DevTools' Comparison view, by count and self size). */
export interface ClassGrowth {
  readonly name: string;
  readonly counts: number[];
  readonly selfSizes: number[];
  readonly countDelta: number;
  readonly sizeDelta: number;
}

/** A long-lived object that survivors accumulate in, with its own retained size in every snapshot. */
export interface HolderGrowth {
  readonly name: string;
  readonly id: number;
  readonly path: string;
  /** Retained size of the holder per snapshot, oldest first, in bytes. */
  readonly retainedSizes: number[];
  readonly retainedDelta: number;
}

export interface DiffReport {
  readonly verdict: Verdict;
  /** Why the verdict, in sentences an on-call engineer can check against the numbers. */
  readonly reasoning: string;
  readonly suspects: Suspect[];
  readonly classGrowth: ClassGrowth[];
  /** The holders of the suspects, by retained growth. */
  readonly holderGrowth: HolderGrowth[];
  readonly snapshots: SnapshotInfo[];
  /** Smallest total retained growth of a group that can make it a suspect, in bytes. */
  readonly minGrowthBytes: number;
  readonly analysisMs: number;
}
