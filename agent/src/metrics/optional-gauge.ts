import { Gauge, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/**
 * A label-less gauge whose sample is left out of the scrape when its value is unknown; prom-client's `Gauge`
 * would print 0, which a dashboard cannot tell from a real zero. The value is read in `collect()`, at scrape time.
 */
export class OptionalGauge extends Gauge<string> {
  private known = false;

  constructor(name: string, help: string, registry: Registry, read: () => number | undefined) {
    super({
      name,
      help,
      registers: [registry],
      collect: () => {
        const value = read();
        this.known = value !== undefined;
        this.set(value ?? 0);
      },
    });
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const metric = await super.get();
    return this.known ? metric : { ...metric, values: [] };
  }
}
