// prom-client's default metrics, one module each (prom-client/lib/metrics/*.js, untyped): each registers its metrics.
declare module 'prom-client/lib/metrics/*' {
  import type { DefaultMetricsCollectorConfiguration, Registry } from 'prom-client';

  const registerDefaultMetric: {
    (
      registry: Registry,
      config: Omit<DefaultMetricsCollectorConfiguration<'text/plain; version=0.0.4; charset=utf-8'>, 'register'>,
    ): void;
    /** The names of the metrics the module registers. */
    readonly metricNames: readonly string[];
  };
  export = registerDefaultMetric;
}
