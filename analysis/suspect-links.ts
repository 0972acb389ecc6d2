import type { ProfileSite, SeriesSuspect, SiteSuspect, Suspect } from './report';

/** A snapshot suspect and the allocation site the profiles give for it, with the reason. */
export interface SuspectLink {
  readonly suspect: Suspect;
  readonly site: ProfileSite;
  readonly evidence: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Links each snapshot suspect to the allocation site that the evidence ties it to, if any:
 * 1. its class is a constructor the site calls (`new RenderedPage` shows as a frame named `RenderedPage` at or inside
 *    the site; V8's own constructors such as `Timeout` too), preferring the site that is that constructor;
 * 2. otherwise the site's function is named in the path to the holder (`renderPage.cache…` and site `renderPage`).
 * Only sites that gained live sampled bytes qualify; without evidence the two stay side by side.
 */
export function linkSuspects(
  suspects: readonly Suspect[],
  sites: readonly ProfileSite[],
  calledAt: ReadonlyMap<ProfileSite, ReadonlySet<string>>,
): SuspectLink[] {
  const growing = sites.filter((site) => site.bytesDelta > 0);
  const links: SuspectLink[] = [];
  for (const suspect of suspects) {
    const constructedAt = IDENTIFIER.test(suspect.name)
      ? growing
          .filter((site) => calledAt.get(site)?.has(suspect.name))
          .sort((a, b) => own(b, suspect.name) - own(a, suspect.name))[0]
      : undefined;
    if (constructedAt) {
      links.push({
        suspect,
        site: constructedAt,
        evidence: `the heap profiles show ${suspect.name} called at this site (new ${suspect.name})`,
      });
      continue;
    }
    const tokens = new Set(`${suspect.holder.path} ${suspect.path}`.split(/[^\w$]+/));
    const named = growing.find((site) => {
      const name = site.allocationSite.functionName;
      return IDENTIFIER.test(name) && tokens.has(name);
    });
    if (named) {
      links.push({
        suspect,
        site: named,
        evidence: `the allocating function ${named.allocationSite.functionName} is on the path to the holder`,
      });
    }
  }
  return links;
}

/** 1 when the site's own frame is the constructor, so it wins over callers that reach it. */
function own(site: ProfileSite, name: string): number {
  return site.allocationSite.functionName === name ? 1 : 0;
}

/** The snapshot suspect with its allocation site, when linked. */
export function withAllocation(suspect: Suspect, link: SuspectLink | undefined): Suspect {
  if (!link) return suspect;
  return {
    ...suspect,
    allocationSite: link.site.allocationSite,
    allocationStack: link.site.allocationStack,
    allocationEvidence: link.evidence,
  };
}

/** True for an allocation site of the profiles, false for a snapshot group. */
export function isSiteSuspect(suspect: SeriesSuspect): suspect is SiteSuspect {
  return !('holder' in suspect);
}
