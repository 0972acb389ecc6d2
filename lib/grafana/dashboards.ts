import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { IConstruct } from 'constructs';
import { HeapwatchValidationError } from '../validation-error';

/** The dashboards shipped with this package (Grafana JSON models, importable by hand too). */
export const DEFAULT_DASHBOARDS_DIR = path.join(__dirname, '..', '..', 'grafana', 'dashboards');

/** Reads every `*.json` dashboard model of a folder, in file-name order. */
export function loadDashboards(dir: string, scope?: IConstruct): Array<Record<string, unknown>> {
  if (!existsSync(dir)) {
    throw new HeapwatchValidationError(
      `dashboardsDir: '${dir}' does not exist. Pass a folder of Grafana dashboard JSON files, or omit it to use heapwatch's grafana/dashboards.`,
      scope,
    );
  }
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort();
  if (files.length === 0) {
    throw new HeapwatchValidationError(
      `dashboardsDir: '${dir}' holds no *.json dashboard. Export the dashboards from Grafana as JSON into it.`,
      scope,
    );
  }
  return files.map((file) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    let model: unknown;
    try {
      model = JSON.parse(text);
    } catch (error) {
      throw new HeapwatchValidationError(
        `dashboardsDir: '${path.join(dir, file)}' is not valid JSON (${(error as Error).message}).`,
        scope,
      );
    }
    const dashboard = model as { uid?: unknown; title?: unknown };
    if (typeof dashboard.uid !== 'string' || typeof dashboard.title !== 'string') {
      throw new HeapwatchValidationError(
        `dashboardsDir: '${path.join(dir, file)}' has no string uid and title. Give the dashboard a stable uid so updates replace it.`,
        scope,
      );
    }
    return model as Record<string, unknown>;
  });
}
