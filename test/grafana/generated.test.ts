import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { generatedArtifacts } from '../../grafana/artifacts';

const ROOT = path.resolve(__dirname, '..', '..');

describe('generated grafana artefacts', () => {
  it.each(generatedArtifacts().map((artifact) => [artifact.path, artifact.content]))(
    '%s is committed exactly as its source generates it (run `npx tsx grafana/generate.ts`)',
    (file, expected) => {
      // Act
      const committed = readFileSync(path.join(ROOT, file), 'utf8');

      // Assess
      expect(committed).toBe(expected);
    },
  );
});
