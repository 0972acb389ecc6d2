import { buffersLeak } from './buffers';
import type { LeakDefinition } from './leak';
import { listenersLeak } from './listeners';
import { memoizeLeak } from './memoize';
import { none } from './none';
import { requestLogLeak } from './request-log';

export type { Leak, LeakDefinition, PageRequest } from './leak';

/** Every leak the demo can switch on with HEAPWATCH_LEAK (or the drill's `--leak`). */
export const LEAKS: readonly LeakDefinition[] = [none, memoizeLeak, listenersLeak, requestLogLeak, buffersLeak];

export const leakNames: readonly string[] = LEAKS.map((leak) => leak.name);

export function findLeak(name: string): LeakDefinition {
  const leak = LEAKS.find((candidate) => candidate.name === name);
  if (!leak) throw new Error(`leak ${JSON.stringify(name)} is unknown: use one of ${leakNames.join(', ')}`);
  return leak;
}
