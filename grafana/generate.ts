/** Regenerates the committed rules YAML and dashboard JSON from their TypeScript sources: `npx tsx grafana/generate.ts`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { generatedArtifacts } from './artifacts';

const root = path.resolve(__dirname, '..');
for (const artifact of generatedArtifacts()) {
  const target = path.join(root, artifact.path);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, artifact.content);
  console.log(`wrote ${artifact.path}`);
}
