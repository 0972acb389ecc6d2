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

/** Every committed file generated from the grafana/ sources, with its expected content. */
export function generatedArtifacts(): GeneratedArtifact[] {
  return [
    { path: RULES_FILE, content: renderRulesYaml(buildRuleGroups()) },
    { path: NODE_HEAP_DASHBOARD_FILE, content: `${JSON.stringify(buildNodeHeapDashboard(), null, 2)}\n` },
  ];
}
