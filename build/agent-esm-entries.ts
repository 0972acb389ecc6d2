/**
 * Writes the ESM entry points of `@heapwatch/agent` as thin wrappers around its CommonJS build. One copy of the
 * code serves `import` and `require` alike: the capture lock and the metric registry are per process, and a
 * second (ESM) copy of the module would hold a second lock.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const AGENT_DIST = path.join(__dirname, '..', 'agent', 'dist');

const ENTRIES = [
  { name: 'index', cjs: '../cjs/index.js' },
  { name: 'protocol', cjs: '../cjs/protocol/index.js' },
] as const;

export function writeAgentEsmEntries(distDir = AGENT_DIST): void {
  const esmDir = path.join(distDir, 'esm');
  mkdirSync(esmDir, { recursive: true });
  const requireFromEsm = createRequire(path.join(esmDir, 'entry.js'));
  for (const entry of ENTRIES) {
    const names = Object.keys(requireFromEsm(entry.cjs) as object).filter((name) => name !== '__esModule');
    const wrapper = [`import cjs from '${entry.cjs}';`, '', `export const { ${names.join(', ')} } = cjs;`, ''].join(
      '\n',
    );
    writeFileSync(path.join(esmDir, `${entry.name}.mjs`), wrapper);
    writeFileSync(path.join(esmDir, `${entry.name}.d.mts`), `export * from '${entry.cjs}';\n`);
  }
}

if (require.main === module) writeAgentEsmEntries();
