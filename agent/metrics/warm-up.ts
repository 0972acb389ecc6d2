import type { Registry } from 'prom-client';

/**
 * Collects and renders the registry twice, at start, so the first scrape under load changes nothing the app's
 * optimised code depends on.
 *
 * Why: the first collection writes values into objects prom-client made at registration (a counter's
 * `{ value, labels }`, first a small integer, then seconds of CPU). V8 tracks one field description for every
 * object literal that starts with the same key, so that first write also changes what V8 assumed about the app's
 * `{ value, done }` iterator results, and deoptimises the app code that relied on it (measured: Koa's `compose`,
 * router `match` and `params`, response `set`). Under load, that cost the demo ~2 % of its throughput for as long
 * as it ran (bench:agent). Twice, because the first collection may find no CPU time spent yet, and a counter that
 * adds 0 writes nothing.
 */
export async function warmUpRegistry(registry: Registry): Promise<void> {
  await registry.metrics();
  await registry.metrics();
}
