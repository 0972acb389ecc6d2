import * as path from 'node:path';
import { buildNodeHeapDashboard } from './dashboards/node-heap';
import { buildRuleGroups, renderRulesYaml } from './rules/build-rules';

export interface GeneratedArtifact {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

export const RULES_FILE = path.join('grafana', 'rules', 'heapwatch.rules.yml');
export const NODE_HEAP_DASHBOARD_FILE = path.join('grafana', 'dashboards', 'node-heap.json');

const REPOSITORY_ROOT = path.resolve(__dirname, '..');

/** Absolute paths of the committed artefacts, for constructs and tools that ship them (AMP rules, Grafana). */
export const ARTIFACT_PATHS = {
  rules: path.join(REPOSITORY_ROOT, RULES_FILE),
  dashboards: [path.join(REPOSITORY_ROOT, NODE_HEAP_DASHBOARD_FILE)],
} as const;

/** Every committed file generated from the grafana/ sources, with its expected content. */
export function generatedArtifacts(): GeneratedArtifact[] {
  return [
    { path: RULES_FILE, content: renderRulesYaml(buildRuleGroups()) },
    { path: NODE_HEAP_DASHBOARD_FILE, content: `${JSON.stringify(buildNodeHeapDashboard(), null, 2)}\n` },
  ];
}
