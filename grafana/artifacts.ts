import * as path from 'node:path';
import { buildRuleGroups, renderRulesYaml } from './rules/build-rules';

export interface GeneratedArtifact {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

export const RULES_FILE = path.join('grafana', 'rules', 'heapwatch.rules.yml');

/** Every committed file generated from the grafana/ sources, with its expected content. */
export function generatedArtifacts(): GeneratedArtifact[] {
  return [{ path: RULES_FILE, content: renderRulesYaml(buildRuleGroups()) }];
}
