import type { Registry } from 'prom-client';

/**
 * Collects and renders the registry twice, at start, so the first scrape under load changes nothing the app's
 * optimised code depends on.
 *
 * Why: the first collection writes into objects prom-client made at registration: a counter's entry
 * `{ value: 0, labels }` gets its first CPU seconds. Object literals with the same first key share V8's description
 * of that key's field, and `{ value, labels }` shares it with every `{ value, done }` iterator result (checked with
 * `%DebugPrint`: one parent map). So that first write turns `value` from a constant field into a mutable one for all
 * of them, and V8 deoptimises the app code compiled on the constant (measured: Koa's `compose`, the router's `match`
 * and `params`, the response's `set`). Under load that cost the demo ~2 % of its throughput for as long as it ran
 * (bench:agent). Twice, because the first collection may find no CPU time spent yet, and a counter that adds 0 writes
 * nothing.
 */
export async function warmUpRegistry(registry: Registry): Promise<void> {
  await registry.metrics();
  await registry.metrics();
}
