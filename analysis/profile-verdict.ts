import { formatBytes } from './format-bytes';
import type { ProfileDiff, ProfileSite, VerdictText } from './report';

/** Said wherever a site is named: the profile charges an inlined function's allocations to its caller. */
export const INLINING_NOTE = 'V8 may inline small functions; the site is the nearest frame the profile kept.';

function describe(site: ProfileSite): string {
  const callees = site.callees.length > 0 ? `, with its callees ${site.callees.slice(0, 3).join(', ')}` : '';
  return (
    `${site.name}${callees} went ${site.samples.join(' → ')} samples (live sampled bytes up ` +
    `${formatBytes(site.bytesDelta)} since the first profile, now ${formatBytes(site.bytes[site.bytes.length - 1])})`
  );
}

type Evidence = Pick<ProfileDiff, 'sites' | 'total' | 'threshold' | 'profiles'>;

/**
 * `leak` needs 3+ profiles and a site that grew beyond sampling noise in every interval (poisson-growth.ts); a
 * bounded cache that churns keeps its sample count within noise. Never `no-leak` while the total grew beyond noise in
 * every interval: then `inconclusive`, naming where the growth is.
 */
export function decideProfileVerdict({ sites, total, threshold, profiles }: Evidence): VerdictText {
  const steady = sites.filter((site) => site.growth === 'every-interval');
  const overall = sites.filter((site) => site.growth === 'overall');
  const test =
    `samples born − died > ${threshold.siteZ.toFixed(2)}·√(born + died) and ≥ ${threshold.minSampleGrowth} in ` +
    `each interval, z set for ${threshold.sitesExamined} sites examined`;
  const totals = `all live samples went ${total.samples.join(' → ')} (${total.bytes.map(formatBytes).join(' → ')})`;
  if (total.samples.every((samples) => samples === 0)) {
    return {
      verdict: 'inconclusive',
      reasoning:
        'The profiles hold no samples: the sampling heap profiler was not running, or had just started. Check that ' +
        'sampling is on in the service (HEAPWATCH_HEAP_SAMPLING) and take the profiles again.',
    };
  }
  if (profiles.length < 3) {
    const grew = [...steady, ...overall];
    if (grew.length === 0 && !total.growsInEveryInterval) return noLeak(totals, 'the two profiles');
    const where = grew.length > 0 ? `most: ${describe(grew[0])}` : `${totals}; most at ${largest(sites)}`;
    return {
      verdict: 'inconclusive',
      reasoning:
        `Live sampled memory grew beyond noise between the two profiles, ${where}. With one interval a leak cannot ` +
        `be told from a cache warming up: take a third profile a few minutes later and diff all three. ${INLINING_NOTE}`,
    };
  }
  if (steady.length > 0) {
    const others = steady.length > 1 ? ` ${steady.length - 1} more site(s) grew steadily too.` : '';
    return {
      verdict: 'leak',
      reasoning:
        `${describe(steady[0])}, growing beyond sampling noise in every interval between ${profiles.length} ` +
        `profiles (${test}).${others} ${INLINING_NOTE}`,
    };
  }
  if (overall.length > 0) {
    return {
      verdict: 'inconclusive',
      reasoning:
        `${overall.length} site(s) grew beyond noise overall but not in every interval (most: ${describe(overall[0])}): ` +
        'this looks like a cache warming up or load-dependent memory, not steady accumulation. Take another profile ' +
        `later under the same load. ${INLINING_NOTE}`,
    };
  }
  if (total.growsInEveryInterval) {
    return {
      verdict: 'inconclusive',
      reasoning:
        `Live sampled memory grew beyond noise in every interval (${totals}) but no single site explains it: the ` +
        `growth is spread thin, most at ${largest(sites)}. Take profiles further apart, or with a smaller sampling ` +
        `interval, to tell which. ${INLINING_NOTE}`,
    };
  }
  return noLeak(totals, `the ${profiles.length} profiles`);
}

function noLeak(totals: string, between: string): VerdictText {
  return {
    verdict: 'no-leak',
    reasoning:
      `No allocation site's live sampled memory grew beyond noise between ${between}, and neither did the total ` +
      `(${totals}): objects allocated in between were freed or replaced others (a bounded cache churning, for instance).`,
  };
}

function largest(sites: readonly ProfileSite[]): string {
  const growing = sites.filter((site) => site.bytesDelta > 0).slice(0, 3);
  if (growing.length === 0) return 'no single site (each one within noise)';
  return growing.map((site) => `${site.name} (+${formatBytes(site.bytesDelta)})`).join(', ');
}
