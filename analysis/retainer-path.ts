import { type HeapGraph, retainingEdgesBetween } from './heap-graph';
import { edgeName, edgeType, type HeapSnapshot, nodeName, nodeType } from './heap-snapshot';

const UNREACHED = 0xffffffff;

/**
 * Handles that the running code and the snapshot writer itself hold (open handle scopes, the writer's identity
 * map in the strong roots): paths through them are short but say nothing about who holds an object, so nodes are
 * reached through them only when no other path exists.
 */
function isTransientRootEdge(snapshot: HeapSnapshot, from: number, edge: number, target: number): boolean {
  if (nodeName(snapshot, target) === '(Handle scope)') return true;
  return nodeName(snapshot, from) === '(Strong roots)' && edgeName(snapshot, edge).includes('IdentityMap');
}

/**
 * Hop count from the root over retaining (non-weak) edges, visiting transient roots last; UNREACHED for nodes only
 * weakly reachable. Every reached node has a retainer one hop closer, so paths can be walked back.
 */
export function computeDistances(snapshot: HeapSnapshot, graph: HeapGraph): Uint32Array {
  const { nodeCount, firstEdge, edges, edgeStride, edgeTargetOffset, edgeTypeOffset, ignoredEdgeType } = graph;
  const distance = new Uint32Array(nodeCount).fill(UNREACHED);
  const queue = new Uint32Array(nodeCount);
  let head = 0;
  let tail = 0;
  const deferred: Array<[node: number, distance: number]> = [];
  distance[graph.rootNode] = 0;
  queue[tail++] = graph.rootNode;
  for (;;) {
    while (head < tail) {
      const node = queue[head++];
      const next = distance[node] + 1;
      for (let edge = firstEdge[node]; edge < firstEdge[node + 1]; edge++) {
        const offset = edge * edgeStride;
        if (edges[offset + edgeTypeOffset] === ignoredEdgeType) continue;
        const target = edges[offset + edgeTargetOffset];
        if (distance[target] !== UNREACHED) continue;
        if (next <= 3 && isTransientRootEdge(snapshot, node, edge, target)) {
          deferred.push([target, next]);
          continue;
        }
        distance[target] = next;
        queue[tail++] = target;
      }
    }
    const resumed = deferred.filter(([node]) => distance[node] === UNREACHED);
    if (resumed.length === 0) return distance;
    deferred.length = 0;
    for (const [node, depth] of resumed) {
      distance[node] = depth;
      queue[tail++] = node;
    }
  }
}

/** One step of a retainer path: `from` holds the next node through `edge`. */
export interface RetainerHop {
  readonly from: number;
  readonly edge: number;
}

const EDGE_PREFERENCE: Readonly<Record<string, number>> = { property: 0, element: 0, context: 0, internal: 1 };

/**
 * A shortest path from the root to `node`; among equally short ones, each step prefers an edge a developer can
 * see in code (property, element, context variable) over V8-internal ones.
 */
export function shortestRetainerPath(
  snapshot: HeapSnapshot,
  graph: HeapGraph,
  distance: Uint32Array,
  node: number,
): RetainerHop[] {
  if (distance[node] === UNREACHED) return [];
  const hops: RetainerHop[] = [];
  let current = node;
  while (current !== graph.rootNode) {
    let best: RetainerHop | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    const first = graph.firstRetainer[current];
    for (let r = first; r < graph.firstRetainer[current + 1] && bestRank > 0; r++) {
      const from = graph.retainerNode[r];
      // A node holding `current` through several edges is listed once per edge, next to each other.
      if (r > first && graph.retainerNode[r - 1] === from) continue;
      if (distance[from] + 1 !== distance[current]) continue;
      for (const edge of retainingEdgesBetween(graph, from, current)) {
        const rank = EDGE_PREFERENCE[edgeType(snapshot, edge)] ?? 2;
        if (rank < bestRank) {
          best = { from, edge };
          bestRank = rank;
        }
      }
    }
    if (!best) break;
    hops.push(best);
    current = best.from;
  }
  return hops.reverse();
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_NAME_LENGTH = 60;

/**
 * Whether heap-derived text (string contents, object keys that are not identifiers: `["user@example.com"]`) appears
 * in paths and labels. Heap contents are user data, so reports leave them out unless asked (`--show-values`);
 * identifiers, class and function names come from code and always appear.
 */
export type HeapValues = 'redacted' | 'shown';

/** How a redacted heap string reads: its length only. */
export function redactedString(name: string): string {
  return `<${name.length} chars>`;
}

function quoted(name: string, values: HeapValues): string {
  if (values === 'redacted') return redactedString(name);
  const short = name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name;
  return JSON.stringify(short);
}

/** `.name`, `["odd name"]` (or `[<8 chars>]` redacted) or `[3]`, as the edge would read in source code. */
export function accessor(snapshot: HeapSnapshot, edge: number, values: HeapValues): string {
  const type = edgeType(snapshot, edge);
  const name = edgeName(snapshot, edge);
  if (type === 'element' || type === 'hidden') return `[${name}]`;
  return IDENTIFIER.test(name) ? `.${name}` : `[${quoted(name, values)}]`;
}

/** A short, readable label of a node: its class-like name, cut to a sane length. */
export function nodeLabel(snapshot: HeapSnapshot, node: number, values: HeapValues): string {
  const type = nodeType(snapshot, node);
  const name = nodeName(snapshot, node);
  if (type === 'closure') return name ? `(closure) ${name}` : '(closure)';
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string')
    return `(string) ${quoted(name, values)}`;
  if (node === 0 && type === 'synthetic' && !name) return '(root)';
  const label = name || `(${type})`;
  return label.length > MAX_NAME_LENGTH ? `${label.slice(0, MAX_NAME_LENGTH)}…` : label;
}

function isGlobalObject(snapshot: HeapSnapshot, node: number): boolean {
  const name = nodeName(snapshot, node);
  return nodeType(snapshot, node) === 'object' && (name === 'global' || name.startsWith('Window'));
}

/** Collapses runs of one repeated step (linked lists) into `step ×N`. */
function collapseRuns(parts: string[]): string[] {
  const collapsed: string[] = [];
  for (let i = 0; i < parts.length; ) {
    let j = i + 1;
    while (j < parts.length && parts[j] === parts[i]) j++;
    if (j - i >= 3) collapsed.push(`${parts[i]} ×${j - i}`);
    else collapsed.push(...parts.slice(i, j));
    i = j;
  }
  return collapsed;
}

/** Each hop as `Holder.accessor`, from the GC root down to the node (repeated hops collapsed). */
export function describeRetainerPath(
  snapshot: HeapSnapshot,
  hops: readonly RetainerHop[],
  node: number,
  values: HeapValues,
): string[] {
  const steps = hops.map((hop) => `${nodeLabel(snapshot, hop.from, values)}${accessor(snapshot, hop.edge, values)}`);
  steps.push(nodeLabel(snapshot, node, values));
  return collapseRuns(steps);
}

/**
 * The name code uses for a node held straight from a GC root (a stack slot, a handle): the context variable or
 * global property nearest the roots that also holds it, if any.
 */
function variableName(
  snapshot: HeapSnapshot,
  graph: HeapGraph,
  distance: Uint32Array,
  node: number,
  values: HeapValues,
): string | undefined {
  let best: string | undefined;
  let bestDistance = UNREACHED;
  const first = graph.firstRetainer[node];
  for (let r = first; r < graph.firstRetainer[node + 1]; r++) {
    const from = graph.retainerNode[r];
    if (r > first && graph.retainerNode[r - 1] === from) continue;
    if (distance[from] >= bestDistance) continue;
    for (const edge of retainingEdgesBetween(graph, from, node)) {
      const type = edgeType(snapshot, edge);
      if (type === 'context') best = edgeName(snapshot, edge);
      else if (type === 'property' && isGlobalObject(snapshot, from))
        best = `globalThis${accessor(snapshot, edge, values)}`;
      else continue;
      bestDistance = distance[from];
      break;
    }
  }
  return best;
}

/**
 * The path as a developer would write it, starting at the last context variable, global object or GC root on the
 * way: `renderPage.cache.__data__.string.__data__["home:123"]`.
 */
export function retainerExpression(
  snapshot: HeapSnapshot,
  graph: HeapGraph,
  distance: Uint32Array,
  hops: readonly RetainerHop[],
  values: HeapValues,
): string {
  if (hops.length === 0) return '(GC roots)';
  let start = 0;
  for (let i = 0; i < hops.length; i++) {
    const type = edgeType(snapshot, hops[i].edge);
    if (
      type === 'context' ||
      nodeType(snapshot, hops[i].from) === 'synthetic' ||
      isGlobalObject(snapshot, hops[i].from)
    ) {
      start = i;
    }
  }
  const first = hops[start];
  const firstType = edgeType(snapshot, first.edge);
  const heldNode = start + 1 < hops.length ? hops[start + 1].from : undefined;
  let head: string;
  if (firstType === 'context') head = edgeName(snapshot, first.edge);
  else if (isGlobalObject(snapshot, first.from)) head = `globalThis${accessor(snapshot, first.edge, values)}`;
  else {
    const alias = heldNode === undefined ? undefined : variableName(snapshot, graph, distance, heldNode, values);
    head = alias ?? `${nodeLabel(snapshot, first.from, values)}${accessor(snapshot, first.edge, values)}`;
  }
  const rest = hops.slice(start + 1).map((hop) => accessor(snapshot, hop.edge, values));
  return [head, ...collapseRuns(rest).map((part) => (part.includes(' ×') ? `(${part})` : part))].join('');
}
