import { findSourceMap, type SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SamplingHeapProfile, SamplingHeapProfileNode } from './heap-sampler';

/**
 * The profile with each frame moved to its original source, where the service runs with source maps
 * (`--enable-source-maps`, or `process.setSourceMapsEnabled(true)` before its modules load): V8 reports positions
 * in the code it runs, so a compiled TypeScript service would otherwise name lines of its `.js` output. Frames
 * without a source map stay as V8 gave them. Positions stay 0-based, as in every `.heapprofile`.
 */
export function withOriginalPositions(profile: SamplingHeapProfile): SamplingHeapProfile {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) maps.set(url, sourceMapOf(url));
    return maps.get(url);
  };
  const visit = (node: SamplingHeapProfileNode): SamplingHeapProfileNode => {
    const { callFrame } = node;
    const map = callFrame.url === '' ? undefined : mapOf(callFrame.url);
    const entry = map?.findEntry(callFrame.lineNumber, callFrame.columnNumber);
    const mapped =
      entry && 'originalSource' in entry && entry.originalSource
        ? {
            ...callFrame,
            url: entry.originalSource,
            lineNumber: entry.originalLine,
            columnNumber: entry.originalColumn,
          }
        : callFrame;
    return { ...node, callFrame: mapped, children: node.children.map(visit) };
  };
  return { ...profile, head: visit(profile.head) };
}

function sourceMapOf(url: string): SourceMap | undefined {
  try {
    return findSourceMap(url) ?? (url.startsWith('file:') ? findSourceMap(fileURLToPath(url)) : undefined);
  } catch {
    return undefined;
  }
}
