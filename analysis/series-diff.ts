import { type DiffOptions, diffSnapshotFiles } from './diff';
import { analyzeProfiles, diffProfileFiles, readProfileSeries, siteSuspect } from './profile-diff';
import type { DiffReport, ProfileDiff, SeriesReport, SeriesSuspect, Verdict, VerdictText } from './report';
import { isSiteSuspect, linkSuspects, withAllocation } from './suspect-links';

export type SeriesFileKind = 'snapshot' | 'profile';

/** By extension: `.heapprofile` is a sampling heap profile; anything else is read as a heap snapshot. */
export function seriesFileKind(path: string): SeriesFileKind {
  return /\.heapprofile$/i.test(path) ? 'profile' : 'snapshot';
}

/**
 * Diffs the files of one series: 2 or 3 heap snapshots, 2 or 3 heap profiles, or both (each kind oldest first, in
 * any order between kinds). Snapshots alone give exactly {@link diffSnapshotFiles}' report; profiles alone, their
 * allocation sites; both, one report: snapshot suspects (what grows, who holds it) carrying the allocation site the
 * profiles tie them to, the sites no suspect explains, and a verdict combined from both.
 */
export async function diffSeriesFiles(paths: string[], options: DiffOptions = {}): Promise<SeriesReport> {
  const snapshots = paths.filter((path) => seriesFileKind(path) === 'snapshot');
  const profiles = paths.filter((path) => seriesFileKind(path) === 'profile');
  const fits = (count: number) => count === 0 || (count >= 2 && count <= 3);
  if (paths.length === 0 || !fits(snapshots.length) || !fits(profiles.length)) {
    throw new Error(
      'diff takes 2 or 3 snapshots (.heapsnapshot) and/or 2 or 3 profiles (.heapprofile) of one process, ' +
        `each kind oldest first; got ${snapshots.length} snapshot(s) and ${profiles.length} profile(s)`,
    );
  }
  if (profiles.length === 0) return diffSnapshotFiles(snapshots, options);
  if (snapshots.length === 0) return diffProfileFiles(profiles, options);
  const started = Date.now();
  // Profiles first: small and quick, so a bad one fails before minutes of snapshot parsing.
  const profileAnalysis = analyzeProfiles(await readProfileSeries(profiles), options);
  const snapshotReport = await diffSnapshotFiles(snapshots, options);
  const profileDiff = profileAnalysis.diff;
  const links = linkSuspects(snapshotReport.suspects, profileDiff.sites, profileAnalysis.calledAt);
  const linkedSites = new Set(links.map((link) => link.site));
  const suspects: SeriesSuspect[] = rank(
    [
      ...snapshotReport.suspects.map((suspect) =>
        withAllocation(
          suspect,
          links.find((link) => link.suspect === suspect),
        ),
      ),
      ...profileDiff.sites.filter((site) => !linkedSites.has(site)).map(siteSuspect),
    ],
    snapshotReport.minGrowthBytes,
  ).slice(0, options.top ?? 10);
  const combined = combineVerdicts(snapshotReport, profileDiff, links.length);
  return {
    ...snapshotReport,
    ...combined,
    suspects,
    analysisMs: Date.now() - started,
    profiles: profileDiff,
    verdicts: {
      snapshots: { verdict: snapshotReport.verdict, reasoning: snapshotReport.reasoning },
      profiles: { verdict: profileDiff.verdict, reasoning: profileDiff.reasoning },
    },
  };
}

/** Steady growers of either kind first (snapshot groups before sites), then the rest, each kind in its own order. */
function rank(suspects: SeriesSuspect[], minGrowthBytes: number): SeriesSuspect[] {
  const steady = (suspect: SeriesSuspect) =>
    isSiteSuspect(suspect)
      ? suspect.growth === 'every-interval'
      : suspect.growsInEveryInterval && suspect.retainedDelta >= minGrowthBytes && suspect.countDelta > 0;
  return [...suspects.filter(steady), ...suspects.filter((suspect) => !steady(suspect))];
}

const SEVERITY: Readonly<Record<Verdict, number>> = { 'no-leak': 0, inconclusive: 1, leak: 2 };

/**
 * The stronger finding wins: `leak` when either kind shows one (each test keeps its own false alarms rare), `no-leak`
 * only when both do, `inconclusive` otherwise. The reasoning gives both, so a disagreement is visible.
 */
export function combineVerdicts(snapshots: DiffReport, profiles: ProfileDiff, links: number): VerdictText {
  const verdict = SEVERITY[snapshots.verdict] >= SEVERITY[profiles.verdict] ? snapshots.verdict : profiles.verdict;
  const agreement =
    snapshots.verdict === profiles.verdict
      ? `Snapshots and profiles agree: ${verdict}.`
      : `Snapshots say ${snapshots.verdict}, profiles say ${profiles.verdict}: the report says ${verdict}, ` +
        `the stronger finding (${verdict === 'leak' ? 'either kind can show a leak the other misses' : 'no-leak needs both'}).`;
  const linked = links > 0 ? ` ${links} snapshot suspect(s) carry the allocation site the profiles tie them to.` : '';
  return {
    verdict,
    reasoning: `${agreement} Snapshots: ${snapshots.reasoning} Profiles: ${profiles.reasoning}${linked}`,
  };
}
