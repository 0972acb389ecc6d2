import { readFile } from 'node:fs/promises';

/** A frame of V8's sampling heap profile (DevTools `.heapprofile`); line and column are 0-based, -1 when unknown. */
export interface CallFrame {
  readonly functionName: string;
  readonly scriptId: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** Sampled objects of one stack that are still alive, totalled per profile. */
export interface StackMeasure {
  /** `functionName|url|line|column` of each frame, root first, joined: the same stack in every profile. */
  readonly key: string;
  /** Root first; the synthetic `(root)` frame left out. */
  readonly frames: readonly CallFrame[];
  samples: number;
  bytes: number;
}

/** One `.heapprofile`, flattened to its stacks. */
export interface HeapProfile {
  readonly file: string;
  readonly fileBytes: number;
  readonly stacks: ReadonlyMap<string, StackMeasure>;
  /** Every live sample: its ordinal (unique and increasing within one process), size and stack key. */
  readonly samples: ReadonlyArray<{ readonly ordinal: number; readonly size: number; readonly stack: string }>;
  readonly totalSamples: number;
  readonly totalBytes: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface CheckedNode {
  readonly callFrame: CallFrame;
  readonly id: number;
  readonly children: readonly Json[];
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where samples of nodes the call tree lacks are counted: in the totals, at no site. */
const UNKNOWN_NODE = { frames: [], key: '(unknown)' };

export function frameKey(frame: CallFrame): string {
  return `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
}

/** Reads and checks a `.heapprofile`; messages name the file and what is wrong with it. */
export async function readHeapProfileFile(file: string): Promise<HeapProfile> {
  const buffer = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot read the heap profile (${error.code ?? error.message})`);
  });
  return parseHeapProfile(buffer.toString('utf8'), file, buffer.length);
}

export function parseHeapProfile(text: string, file: string, fileBytes = Buffer.byteLength(text)): HeapProfile {
  const fail = (why: string): never => {
    throw new Error(`${file}: not a V8 sampling heap profile (.heapprofile): ${why}`);
  };
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error) {
    return fail(`not JSON, or truncated (${error instanceof Error ? error.message : String(error)})`);
  }
  // `HeapProfiler.getSamplingProfile` answers `{ profile }`; DevTools and the agent save the profile itself.
  const profile = isObject(parsed) && isObject(parsed.profile) ? parsed.profile : parsed;
  if (!isObject(profile) || !isObject(profile.head)) return fail('no "head" call tree');
  if (!Array.isArray(profile.samples)) return fail('no "samples" (profiles of Node < 12 / Chrome < 77 lack them)');
  const nodes = new Map<number, { readonly frames: CallFrame[]; readonly key: string }>();
  const pending: Array<{ readonly value: Json; readonly frames: CallFrame[]; readonly key: string }> = [
    { value: profile.head, frames: [], key: '' },
  ];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const node = checkNode(item.value, fail);
    const isRoot = item.value === profile.head;
    const frames = isRoot ? [] : [...item.frames, node.callFrame];
    const key = isRoot ? '' : `${item.key}\n${frameKey(node.callFrame)}`;
    if (nodes.has(node.id)) fail(`node id ${node.id} appears twice`);
    nodes.set(node.id, { frames, key });
    for (const child of node.children) pending.push({ value: child, frames, key });
  }
  const stacks = new Map<string, StackMeasure>();
  const samples: Array<{ ordinal: number; size: number; stack: string }> = [];
  let totalBytes = 0;
  for (const sample of profile.samples) {
    if (!isObject(sample)) return fail('a sample is not an object');
    const { size, nodeId, ordinal } = sample;
    if (typeof size !== 'number' || typeof nodeId !== 'number' || typeof ordinal !== 'number' || size < 0) {
      return fail('a sample lacks a numeric "size", "nodeId" or "ordinal"');
    }
    // V8 translates the call tree before it lists the samples, and may sample an allocation of its own in between
    // (e.g. a script's line ends, computed for the translation): such a sample names a node the tree lacks.
    const node = nodes.get(nodeId) ?? UNKNOWN_NODE;
    let stack = stacks.get(node.key);
    if (!stack) {
      stack = { key: node.key, frames: node.frames, samples: 0, bytes: 0 };
      stacks.set(node.key, stack);
    }
    stack.samples++;
    stack.bytes += size;
    totalBytes += size;
    samples.push({ ordinal, size, stack: node.key });
  }
  return { file, fileBytes, stacks, samples, totalSamples: samples.length, totalBytes };
}

function checkNode(value: Json, fail: (why: string) => never): CheckedNode {
  if (!isObject(value) || typeof value.id !== 'number' || !Array.isArray(value.children)) {
    return fail('a call-tree node lacks a numeric "id" or "children"');
  }
  const frame = value.callFrame;
  if (
    !isObject(frame) ||
    typeof frame.functionName !== 'string' ||
    typeof frame.url !== 'string' ||
    typeof frame.lineNumber !== 'number' ||
    typeof frame.columnNumber !== 'number'
  ) {
    return fail(`call-tree node ${value.id} has no valid "callFrame"`);
  }
  const callFrame: CallFrame = {
    functionName: frame.functionName,
    scriptId: String(frame.scriptId ?? ''),
    url: frame.url,
    lineNumber: frame.lineNumber,
    columnNumber: frame.columnNumber,
  };
  return { callFrame, id: value.id, children: value.children };
}
