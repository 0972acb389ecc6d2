import { Counter, type Registry } from 'prom-client';

/** A counter of requests by `result`, one of a fixed set (a bounded label), every result present from 0. */
export function registerResultsCounter(
  registry: Registry,
  name: string,
  help: string,
  results: readonly string[],
): Counter<'result'> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'result'>;
  const counter = new Counter({ name, help, labelNames: ['result'], registers: [registry] });
  // Every result starts at 0 so rate() and alerts see the series before the first increment.
  for (const result of results) counter.inc({ result }, 0);
  return counter;
}
