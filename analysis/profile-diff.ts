import { findAllocationSites } from './allocation-sites';
import type { DiffOptions } from './diff';
import { type HeapProfile, readHeapProfileFile } from './heap-profile';
import { FAMILY_FALSE_ALARM_RATE, growsInEveryInterval, MIN_SAMPLE_GROWTH, TOTAL_Z } from './poisson-growth';
import { assertSameProfileProcess } from './profile-same-process';
import { decideProfileVerdict } from './profile-verdict';
import type { ProfileDiff, ProfileSite, SeriesReport, SiteSuspect } from './report';
import { emptyTurnover, type StackSeries, stackSeries, type Turnover } from './stack-series';

/** Reads 2 or 3 `.heapprofile` files of one process, oldest first, and checks that they are. */
export async function readProfileSeries(paths: readonly string[]): Promise<HeapProfile[]> {
  if (paths.length < 2 || paths.length > 3) {
    throw new Error(`diff needs 2 or 3 heap profiles of one process, oldest first; got ${paths.length}`);
  }
  const profiles: HeapProfile[] = [];
  for (const path of paths) {
    const profile = await readHeapProfileFile(path);
    if (profiles.length > 0) assertSameProfileProcess(profiles[profiles.length - 1], profile);
    profiles.push(profile);
  }
  return profiles;
}

/** The diff, and what the linking of snapshot suspects needs: the functions called at each site. */
export interface ProfileAnalysis {
  readonly diff: ProfileDiff;
  readonly calledAt: ReadonlyMap<ProfileSite, ReadonlySet<string>>;
}

/** What grows in 2 or 3 profiles of one process: allocation sites ranked, the total, and a verdict. */
export function diffProfiles(profiles: readonly HeapProfile[], options: DiffOptions = {}): ProfileDiff {
  return analyzeProfiles(profiles, options).diff;
}

export function analyzeProfiles(profiles: readonly HeapProfile[], options: DiffOptions = {}): ProfileAnalysis {
  const top = options.top ?? 10;
  const minGrowthBytes = options.minGrowthBytes ?? 64 * 1024;
  const all = stackSeries(profiles);
  const stacks = all.filter((stack) => !stack.capture);
  const found = findAllocationSites(stacks, minGrowthBytes);
  const turnover = totalTurnover(stacks, profiles.length);
  const evidence = {
    profiles: profiles.map((profile) => ({
      file: profile.file,
      fileBytes: profile.fileBytes,
      samples: profile.totalSamples,
      bytes: profile.totalBytes,
    })),
    samplingIntervalBytes: samplingInterval(profiles),
    captureBytes: profiles.map((_, index) =>
      all.reduce((sum, stack) => sum + (stack.capture ? stack.bytes[index] : 0), 0),
    ),
    total: {
      samples: profiles.map((profile) => profile.totalSamples),
      bytes: profiles.map((profile) => profile.totalBytes),
      turnover,
      growsInEveryInterval: growsInEveryInterval(turnover, TOTAL_Z),
    },
    sites: found.sites.slice(0, top),
    threshold: {
      siteZ: found.siteZ,
      minSampleGrowth: MIN_SAMPLE_GROWTH,
      totalZ: TOTAL_Z,
      familyFalseAlarmRate: FAMILY_FALSE_ALARM_RATE,
      sitesExamined: found.sitesExamined,
      minGrowthBytes,
    },
  };
  return { diff: { ...decideProfileVerdict(evidence), ...evidence }, calledAt: found.calledAt };
}

/** A site as an entry of the report's `suspects` (the JSON contract's fields, retainerPath empty). */
export function siteSuspect(site: ProfileSite): SiteSuspect {
  return {
    name: site.name,
    countDelta: site.sampleDelta,
    sizeDelta: site.bytesDelta,
    retainedSize: site.bytes[site.bytes.length - 1],
    retainerPath: [],
    allocationSite: site.allocationSite,
    allocationStack: site.allocationStack,
    samples: site.samples,
    bytes: site.bytes,
    growth: site.growth,
    growsInEveryInterval: site.growth === 'every-interval',
  };
}

/** Diffs 2 or 3 `.heapprofile` files of one process, oldest first. */
export async function diffProfileFiles(paths: string[], options: DiffOptions = {}): Promise<SeriesReport> {
  const started = Date.now();
  const profiles = diffProfiles(await readProfileSeries(paths), options);
  return {
    verdict: profiles.verdict,
    reasoning: profiles.reasoning,
    suspects: profiles.sites.map(siteSuspect),
    classGrowth: [],
    holderGrowth: [],
    snapshots: [],
    minGrowthBytes: profiles.threshold.minGrowthBytes,
    analysisMs: Date.now() - started,
    profiles,
  };
}

/** A small object's sample is scaled to about one interval, so the smallest sample is a close estimate. */
function samplingInterval(profiles: readonly HeapProfile[]): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (const profile of profiles) for (const sample of profile.samples) smallest = Math.min(smallest, sample.size);
  return Number.isFinite(smallest) ? smallest : 0;
}

function totalTurnover(stacks: readonly StackSeries[], profiles: number): Turnover[] {
  const total = Array.from({ length: Math.max(0, profiles - 1) }, emptyTurnover);
  for (const stack of stacks) {
    stack.intervals.forEach((interval, index) => {
      total[index].born += interval.born;
      total[index].died += interval.died;
    });
  }
  return total;
}
