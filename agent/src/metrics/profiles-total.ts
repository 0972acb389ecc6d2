import { Counter, type Registry } from 'prom-client';

export const PROFILES_TOTAL_METRIC = 'heapwatch_profiles_total';

/** Every way a `POST /heap/profile` can end; a fixed set, so the label stays bounded. */
export const PROFILE_RESULTS = ['ok', 'failed', 'unauthorized', 'busy', 'disabled'] as const;
export type ProfileResult = (typeof PROFILE_RESULTS)[number];

export type ProfileCounter = Counter<'result'>;

export function registerProfilesTotal(registry: Registry): ProfileCounter {
  const existing = registry.getSingleMetric(PROFILES_TOTAL_METRIC);
  if (existing) return existing as ProfileCounter;
  const counter = new Counter({
    name: PROFILES_TOTAL_METRIC,
    help: 'Heap profile requests by result: ok, failed, or why one was refused.',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of PROFILE_RESULTS) counter.inc({ result }, 0);
  return counter;
}
