import { type CallFrame, frameKey } from './heap-profile';
import { grewBeyondNoise, growsInEveryInterval, siteZ } from './poisson-growth';
import { allocationSite, formatStack, hasScript, isApplicationFrame, siteName } from './profile-frames';
import type { ProfileSite, SiteGrowth } from './report';
import { emptyTurnover, type StackSeries, type Turnover } from './stack-series';

/** A node of the call tree reduced to sites: application frames only, each under the application frames that call it. */
interface SiteNode {
  readonly frame: CallFrame | undefined;
  readonly inApplication: boolean;
  readonly children: Map<string, SiteNode>;
  readonly selfStacks: StackSeries[];
}

interface Entry {
  readonly stack: StackSeries;
  readonly owner: SiteNode;
}

/** Stacks summed: a site's own and those its callees left to it. */
interface Residual {
  readonly samples: number[];
  readonly bytes: number[];
  readonly intervals: Turnover[];
  readonly overall: Turnover;
  readonly entries: Entry[];
}

export interface AllocationSites {
  /** Sites that grew beyond noise in every interval, then overall, then the rest that grew, by live sampled bytes. */
  readonly sites: ProfileSite[];
  /** Per site: the functions its stacks call at and below the site's frame (constructors show as `new` targets). */
  readonly calledAt: ReadonlyMap<ProfileSite, ReadonlySet<string>>;
  readonly siteZ: number;
  readonly sitesExamined: number;
}

/**
 * Finds the allocation sites that grow. Every stack is charged to its application frames (its site chain). From the
 * leaves up, a site whose own stacks plus those its callees left over pass the test claims them, so growth is named
 * at the deepest application function that explains it: the allocating function itself, or its caller when V8
 * inlined the allocating function part of the time and split its samples between the two. Objects that only moved
 * from one stack to another (a churning cache whose code got optimised) cancel out at the caller they share.
 * Passes: growth beyond noise in every interval, then first → last only, then any growth (for "where is it").
 */
export function findAllocationSites(stacks: readonly StackSeries[], minGrowthBytes: number): AllocationSites {
  const root: SiteNode = { frame: undefined, inApplication: false, children: new Map(), selfStacks: [] };
  let sitesExamined = 0;
  for (const stack of stacks) {
    let node = root;
    for (const frame of siteChain(stack.frames)) {
      const key = frameKey(frame);
      let child = node.children.get(key);
      if (!child) {
        child = { frame, inApplication: isApplicationFrame(frame), children: new Map(), selfStacks: [] };
        node.children.set(key, child);
        sitesExamined++;
      }
      node = child;
    }
    node.selfStacks.push(stack);
  }
  const z = siteZ(sitesExamined);
  const profiles = stacks[0]?.samples.length ?? 0;
  const unclaimed = new Set(stacks);
  const enough = (residual: Residual) => delta(residual.bytes) >= minGrowthBytes;
  const calledAt = new Map<ProfileSite, ReadonlySet<string>>();
  const sites = [
    ...claim(
      root,
      profiles,
      unclaimed,
      calledAt,
      'every-interval',
      (r) => growsInEveryInterval(r.intervals, z) && enough(r),
    ),
    ...claim(root, profiles, unclaimed, calledAt, 'overall', (r) => grewBeyondNoise(r.overall, z) && enough(r)),
    ...claim(root, profiles, unclaimed, calledAt, 'within-noise', (r) => delta(r.bytes) > 0 && delta(r.samples) > 0),
  ];
  return { sites, calledAt, siteZ: z, sitesExamined };
}

/**
 * One bottom-up pass; claimed stacks leave `unclaimed`. A function reached from several application callers is one
 * site with several stacks. Sites come out by live sampled bytes gained.
 */
function claim(
  root: SiteNode,
  profiles: number,
  unclaimed: Set<StackSeries>,
  calledAt: Map<ProfileSite, ReadonlySet<string>>,
  growth: SiteGrowth,
  passes: (residual: Residual) => boolean,
): ProfileSite[] {
  const claimed = new Map<
    string,
    { readonly node: SiteNode; readonly frame: CallFrame; readonly residual: Residual }
  >();
  const left = new Map<SiteNode, Residual>();
  for (const node of postOrder(root)) {
    const residual = emptyResidual(profiles);
    for (const stack of node.selfStacks) if (unclaimed.has(stack)) add(residual, { stack, owner: node });
    for (const child of node.children.values()) {
      for (const entry of left.get(child)?.entries ?? []) add(residual, entry);
      left.delete(child);
    }
    if (!node.frame || residual.entries.length === 0 || !passes(residual)) {
      left.set(node, residual);
      continue;
    }
    const key = frameKey(node.frame);
    const same = claimed.get(key) ?? { node, frame: node.frame, residual: emptyResidual(profiles) };
    for (const entry of residual.entries) add(same.residual, entry);
    claimed.set(key, same);
    for (const { stack } of residual.entries) unclaimed.delete(stack);
  }
  const sites = [...claimed.values()].map(({ node, frame, residual }) => {
    const site = toSite(node, frame, residual, growth);
    calledAt.set(site, functionsCalledAt(frame, residual));
    return site;
  });
  return sites.sort((a, b) => b.bytesDelta - a.bytesDelta);
}

/** Application frames root first; a stack without any is charged to its innermost frame with a script. */
function siteChain(frames: readonly CallFrame[]): CallFrame[] {
  const application = frames.filter(isApplicationFrame);
  if (application.length > 0) return application;
  for (let i = frames.length - 1; i >= 0; i--) if (hasScript(frames[i])) return [frames[i]];
  return [];
}

function postOrder(root: SiteNode): SiteNode[] {
  const preorder: SiteNode[] = [];
  const pending = [root];
  for (let node = pending.pop(); node; node = pending.pop()) {
    preorder.push(node);
    pending.push(...node.children.values());
  }
  return preorder.reverse();
}

function emptyResidual(profiles: number): Residual {
  return {
    samples: new Array<number>(profiles).fill(0),
    bytes: new Array<number>(profiles).fill(0),
    intervals: Array.from({ length: Math.max(0, profiles - 1) }, emptyTurnover),
    overall: emptyTurnover(),
    entries: [],
  };
}

function add(residual: Residual, entry: Entry): void {
  const { stack } = entry;
  residual.entries.push(entry);
  stack.samples.forEach((samples, index) => {
    residual.samples[index] += samples;
    residual.bytes[index] += stack.bytes[index];
  });
  stack.intervals.forEach((interval, index) => {
    residual.intervals[index].born += interval.born;
    residual.intervals[index].died += interval.died;
  });
  residual.overall.born += stack.overall.born;
  residual.overall.died += stack.overall.died;
}

function delta(series: readonly number[]): number {
  return series[series.length - 1] - series[0];
}

/** Names of the site's frame and every frame inside it, over all its stacks. */
function functionsCalledAt(frame: CallFrame, residual: Residual): Set<string> {
  const key = frameKey(frame);
  const names = new Set<string>();
  for (const { stack } of residual.entries) {
    let inside = false;
    for (const inner of stack.frames) {
      inside ||= frameKey(inner) === key;
      if (inside && inner.functionName !== '') names.add(inner.functionName);
    }
  }
  return names;
}

/** By sample growth, then by live samples in the last profile. */
function moreGrowth(a: StackSeries, b: StackSeries): boolean {
  const growth = delta(a.samples) - delta(b.samples);
  return growth !== 0 ? growth > 0 : a.samples[a.samples.length - 1] > b.samples[b.samples.length - 1];
}

function toSite(node: SiteNode, frame: CallFrame, residual: Residual, growth: SiteGrowth): ProfileSite {
  const representative = residual.entries.reduce((best, entry) => (moreGrowth(entry.stack, best.stack) ? entry : best));
  const calleeGrowth = new Map<string, number>();
  const key = frameKey(frame);
  for (const { stack, owner } of residual.entries) {
    if (!owner.frame || frameKey(owner.frame) === key) continue;
    const name = siteName(owner.frame);
    calleeGrowth.set(name, (calleeGrowth.get(name) ?? 0) + delta(stack.bytes));
  }
  return {
    name: siteName(frame),
    allocationSite: allocationSite(frame),
    inApplication: node.inApplication,
    allocationStack: formatStack(representative.stack.frames),
    stackCount: residual.entries.length,
    callees: [...calleeGrowth]
      .filter(([, bytes]) => bytes > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name]) => name),
    samples: residual.samples,
    bytes: residual.bytes,
    sampleDelta: delta(residual.samples),
    bytesDelta: delta(residual.bytes),
    turnover: residual.intervals,
    growth,
  };
}
