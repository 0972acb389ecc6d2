import type { HeapBreakdown } from './heap-breakdown';
/** The JSON contract of `heapwatch diff --json` (DESIGN.md "Analysis"); Markdown and HTML render it. */
export type Verdict = 'leak' | 'no-leak' | 'inconclusive';

export interface SnapshotInfo {
  readonly file: string;
  readonly fileBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** Bytes reachable from the GC roots (the root's retained size). */
  readonly heapBytes: number;
  /** The same bytes by storage kind: objects, strings, numbers, arrays, code, off-heap, V8 internals. */
  readonly breakdown: HeapBreakdown;
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
  /** Where these objects are allocated, when heap profiles of the same series support the link. */
  readonly allocationSite?: AllocationSite;
  /** The allocating stack, innermost frame first: `<function> (<url>:<line>:<column>)`. */
  readonly allocationStack?: string[];
  /** Why the allocation site belongs to this group, e.g. `the site calls the constructor RenderedPage`. */
  readonly allocationEvidence?: string;
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

/** A frame of the application's own code (not `node_modules`, not Node internals); line and column are 1-based. */
export interface AllocationSite {
  readonly functionName: string;
  readonly url: string;
  /** Where the function starts: V8's sampling heap profiler records functions, not lines within them. */
  readonly line: number;
  readonly column: number;
}

/** How a site's live sampled memory moved: in every interval beyond noise, first → last only, or within noise. */
export type SiteGrowth = 'every-interval' | 'overall' | 'within-noise';

/** An allocation site of the heap profiles whose live sampled bytes grow (profiles do not know retainers). */
export interface SiteSuspect {
  /** The allocating application function, e.g. `renderPage (src/app.js:12)`. */
  readonly name: string;
  /** Samples in the last profile minus the first. */
  readonly countDelta: number;
  /** Live sampled bytes in the last profile minus the first. */
  readonly sizeDelta: number;
  /** Live sampled bytes in the last profile. */
  readonly retainedSize: number;
  /** Always empty: heap profiles record where objects were allocated, not what holds them. */
  readonly retainerPath: string[];
  readonly allocationSite: AllocationSite;
  readonly allocationStack: string[];
  /** Samples and live sampled bytes per profile, oldest first. */
  readonly samples: number[];
  readonly bytes: number[];
  readonly growth: SiteGrowth;
  /** `growth === 'every-interval'`, named as on snapshot suspects. */
  readonly growsInEveryInterval: boolean;
}

/** Anything `suspects` may hold: a snapshot group (class × holder) or, from profiles, an allocation site. */
export type SeriesSuspect = Suspect | SiteSuspect;

export interface ProfileInfo {
  readonly file: string;
  readonly fileBytes: number;
  /** Sampled objects still alive when the profile was read. */
  readonly samples: number;
  /** Their bytes, as V8 scales them: each sample stands for about one sampling interval. */
  readonly bytes: number;
}

/** Samples that appeared and samples that went away between two reads of one process (ordinals tell them apart). */
export interface SampleTurnover {
  readonly born: number;
  readonly died: number;
}

export interface ProfileSite {
  readonly name: string;
  readonly allocationSite: AllocationSite;
  /** Whether the site is application code; false when no frame of a stack is (library or Node internals). */
  readonly inApplication: boolean;
  /** The stack that grew most, innermost frame first. */
  readonly allocationStack: string[];
  /** How many distinct stacks allocate here. */
  readonly stackCount: number;
  /**
   * Application functions called from the site whose allocations are counted with it: too few alone to stand out,
   * or charged to the site part of the time because V8 inlined them.
   */
  readonly callees: string[];
  readonly samples: number[];
  readonly bytes: number[];
  readonly sampleDelta: number;
  readonly bytesDelta: number;
  /** Per interval between consecutive profiles: samples born and died; the count changed by born − died. */
  readonly turnover: SampleTurnover[];
  readonly growth: SiteGrowth;
}

/** The statistical test every site and the total pass or fail (docs/analysis.md "Heap profiles"). */
export interface GrowthThreshold {
  /** A site grows in an interval when its sample count rises by more than `siteZ`·√(sum of both counts)… */
  readonly siteZ: number;
  /** …and by at least this many samples. */
  readonly minSampleGrowth: number;
  /** The same test for all samples together. */
  readonly totalZ: number;
  /** Chance that any site of a series without growth is called growing, which sets `siteZ` (Bonferroni). */
  readonly familyFalseAlarmRate: number;
  /** Call-tree sites examined: the Bonferroni divisor. */
  readonly sitesExamined: number;
  /** Live sampled bytes a site must gain first → last to be a suspect. */
  readonly minGrowthBytes: number;
}

/** What the heap profiles of a series say, with their own verdict. */
export interface ProfileDiff {
  readonly verdict: Verdict;
  readonly reasoning: string;
  readonly profiles: ProfileInfo[];
  /** Estimated from the smallest sample (a small object's sample stands for about one interval), in bytes. */
  readonly samplingIntervalBytes: number;
  /**
   * Live sampled bytes per profile that heap snapshots of the series allocated (V8 keeps what it computed for them,
   * e.g. script line ends): the capture's own memory, left out of the sites and of the total's test.
   */
  readonly captureBytes: number[];
  /** All samples per profile (those of snapshot captures included), and whether the rest grew beyond noise. */
  readonly total: {
    readonly samples: number[];
    readonly bytes: number[];
    readonly turnover: SampleTurnover[];
    readonly growsInEveryInterval: boolean;
  };
  /** Sites that grew, most likely leak first. */
  readonly sites: ProfileSite[];
  readonly threshold: GrowthThreshold;
}

/**
 * The report of a series of snapshots, profiles or both. Snapshot-only, it is exactly the {@link DiffReport}; with
 * profiles, `suspects` also holds allocation sites no snapshot suspect explains, and `profiles` holds the sites.
 */
export interface SeriesReport extends Omit<DiffReport, 'suspects'> {
  readonly suspects: SeriesSuspect[];
  readonly profiles?: ProfileDiff;
  /** With snapshots and profiles: what each said on its own; `verdict` combines them. */
  readonly verdicts?: { readonly snapshots: VerdictText; readonly profiles: VerdictText };
}

export interface VerdictText {
  readonly verdict: Verdict;
  readonly reasoning: string;
}
