import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The dashboards shipped with this package (Grafana JSON models, importable by hand too). */
export const DEFAULT_DASHBOARDS_DIR = path.join(__dirname, '..', '..', 'grafana', 'dashboards');

/** Reads every `*.json` dashboard model of a folder, in file-name order. */
export function loadDashboards(dir: string): Array<Record<string, unknown>> {
  if (!existsSync(dir)) {
    throw new Error(
      `dashboardsDir: '${dir}' does not exist. Pass a folder of Grafana dashboard JSON files, or omit it to use heapwatch's grafana/dashboards.`,
    );
  }
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort();
  if (files.length === 0) {
    throw new Error(
      `dashboardsDir: '${dir}' holds no *.json dashboard. Export the dashboards from Grafana as JSON into it.`,
    );
  }
  return files.map((file) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    let model: unknown;
    try {
      model = JSON.parse(text);
    } catch (error) {
      throw new Error(`dashboardsDir: '${path.join(dir, file)}' is not valid JSON (${(error as Error).message}).`);
    }
    const dashboard = model as { uid?: unknown; title?: unknown };
    if (typeof dashboard.uid !== 'string' || typeof dashboard.title !== 'string') {
      throw new Error(
        `dashboardsDir: '${path.join(dir, file)}' has no string uid and title. Give the dashboard a stable uid so updates replace it.`,
      );
    }
    return model as Record<string, unknown>;
  });
}
