import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Every query goes to the Prometheus data source picked in the `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
export const PROMETHEUS = { type: 'prometheus', uid: '${datasource}' } as const;

export interface PanelQuery {
  readonly expr: string;
  readonly legend: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id: `bytes`, `Bps`, `s`, `percentunit`... */
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  /** @default 12 (half the width) */
  readonly width?: number;
}

function targets(queries: readonly PanelQuery[]): cog.Builder<cog.Dataquery>[] {
  return queries.map((query) =>
    new DataqueryBuilder().datasource(PROMETHEUS).expr(query.expr).legendFormat(query.legend).range(),
  );
}

export function timeseriesPanel(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  return new TimeseriesPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(8)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    )
    .targets(targets(spec.queries));
}

export function statPanel(
  spec: PanelSpec,
  thresholds: cog.Builder<dashboard.ThresholdsConfig>,
): cog.Builder<dashboard.Panel> {
  return new StatPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(8)
    .thresholds(thresholds)
    .targets(targets(spec.queries));
}
