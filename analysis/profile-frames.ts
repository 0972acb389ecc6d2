import type { CallFrame } from './heap-profile';
import type { AllocationSite } from './report';

/** Synthetic frames V8 puts in profiles; none of them is code anyone wrote. */
const SYNTHETIC = new Set(['(root)', '(program)', '(garbage collector)', '(idle)', '(BYTECODE_COMPILER)']);

/**
 * True for a frame of the application's own code: a script with a URL that is neither Node's (`node:…`, or the
 * bare `internal/…` of old Node versions), nor a dependency's (`node_modules`), nor a builtin (no URL).
 */
export function isApplicationFrame(frame: CallFrame): boolean {
  const { url } = frame;
  if (url === '' || SYNTHETIC.has(frame.functionName)) return false;
  if (url.startsWith('node:') || url.startsWith('internal/')) return false;
  return !/(^|[/\\])node_modules[/\\]/.test(url);
}

/** True for a frame with a script behind it: application code, a dependency or Node's own JavaScript. */
export function hasScript(frame: CallFrame): boolean {
  return frame.url !== '' && !SYNTHETIC.has(frame.functionName);
}

export function functionLabel(frame: CallFrame): string {
  return frame.functionName === '' ? '(anonymous)' : frame.functionName;
}

/** 1-based, as editors and stack traces count; V8 gives 0-based positions and -1 when it has none. */
export function allocationSite(frame: CallFrame): AllocationSite {
  return {
    functionName: frame.functionName,
    url: frame.url,
    line: Math.max(0, frame.lineNumber + 1),
    column: Math.max(0, frame.columnNumber + 1),
  };
}

/** `<function> (<url>:<line>:<column>)` as in a stack trace; `(native)` for builtins without a script. */
export function formatFrame(frame: CallFrame): string {
  if (frame.url === '') return `${functionLabel(frame)} (native)`;
  const site = allocationSite(frame);
  return `${functionLabel(frame)} (${frame.url}:${site.line}:${site.column})`;
}

/** The last two segments of a URL or path: `fixtures/leaky-service.js`, enough to find the file in a repository. */
export function shortUrl(url: string): string {
  const segments = url.split(/[/\\]/).filter((segment) => segment !== '');
  return segments.length <= 2 ? url : `…/${segments.slice(-2).join('/')}`;
}

/** `renderPage (…/src/app.js:12)`: the name of a site in tables and suspects. */
export function siteName(frame: CallFrame): string {
  return `${functionLabel(frame)} (${shortUrl(frame.url)}:${allocationSite(frame).line})`;
}

/** Innermost frame first; synthetic frames and V8's nameless entry frames left out. */
export function formatStack(framesRootFirst: readonly CallFrame[]): string[] {
  return framesRootFirst
    .filter((frame) => !SYNTHETIC.has(frame.functionName) && (frame.functionName !== '' || frame.url !== ''))
    .map(formatFrame)
    .reverse();
}

/** Node's snapshot writers: V8 caches what it computes for a snapshot (e.g. script line ends) on the heap. */
const CAPTURE_FUNCTIONS = new Set(['writeHeapSnapshot', 'getHeapSnapshot']);

/** The agent's own profile code (moving frames to their original sources fills Node's source map cache). */
const AGENT_PROFILE_CODE = /(?:@heapwatch\/agent\/dist\/cjs|agent\/src)\/profile\//;

/** True for allocations a capture made (a heap snapshot, or the agent preparing a profile): not the service's. */
export function isCaptureStack(frames: readonly CallFrame[]): boolean {
  return frames.some(
    (frame) =>
      (frame.url === 'node:v8' && CAPTURE_FUNCTIONS.has(frame.functionName)) || AGENT_PROFILE_CODE.test(frame.url),
  );
}
