import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { PROMETHEUS } from '../../grafana/dashboards/panels';

const GRAFANA = path.resolve(__dirname, '..', '..', 'grafana');

interface DatasourceFile {
  readonly apiVersion: number;
  readonly datasources: { readonly uid: string; readonly type: string; readonly url: string }[];
}
interface ProviderFile {
  readonly apiVersion: number;
  readonly providers: { readonly type: string; readonly options: { readonly path: string } }[];
}
interface DashboardJson {
  readonly uid: string;
  readonly templating: { readonly list: { readonly name: string; readonly type: string; readonly query?: unknown }[] };
  readonly panels: { readonly datasource: { readonly type: string; readonly uid: string } }[];
}

function readYaml<T>(relative: string): T {
  return parse(readFileSync(path.join(GRAFANA, 'provisioning', relative), 'utf8')) as T;
}

describe('grafana provisioning', () => {
  it('provisions one Prometheus data source, the type every dashboard panel asks for', () => {
    // Prepare
    const file = readYaml<DatasourceFile>('datasources/heapwatch.yml');
    const dashboards = readdirSync(path.join(GRAFANA, 'dashboards')).filter((name) => name.endsWith('.json'));

    // Act
    const panelSources = dashboards.flatMap((name) => {
      const dashboard = JSON.parse(readFileSync(path.join(GRAFANA, 'dashboards', name), 'utf8')) as DashboardJson;
      const picker = dashboard.templating.list.find((variable) => variable.name === 'datasource');
      expect(picker).toMatchObject({ type: 'datasource', query: 'prometheus' });
      return dashboard.panels.map((panel) => panel.datasource);
    });

    // Assess
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', uid: 'heapwatch-prometheus', url: `\${HEAPWATCH_PROMETHEUS_URL}` }),
    ]);
    expect(panelSources.length).toBeGreaterThan(0);
    for (const source of panelSources) expect(source).toEqual(PROMETHEUS);
  });

  it('loads the dashboards from files', () => {
    // Act
    const file = readYaml<ProviderFile>('dashboards/heapwatch.yml');

    // Assess
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toEqual([
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: expect.any(String) }) }),
    ]);
  });
});
