import type { Counter, Registry } from 'prom-client';
import { registerResultsCounter } from './results-counter';

export const PROFILES_TOTAL_METRIC = 'heapwatch_profiles_total';

/** Every way a `POST /heap/profile` can end; a fixed set, so the label stays bounded. */
export const PROFILE_RESULTS = ['ok', 'failed', 'unauthorized', 'busy', 'disabled'] as const;
export type ProfileResult = (typeof PROFILE_RESULTS)[number];

export type ProfileCounter = Counter<'result'>;

export function registerProfilesTotal(registry: Registry): ProfileCounter {
  return registerResultsCounter(
    registry,
    PROFILES_TOTAL_METRIC,
    'Heap profile requests by result: ok, failed, or why one was refused.',
    PROFILE_RESULTS,
  );
}
