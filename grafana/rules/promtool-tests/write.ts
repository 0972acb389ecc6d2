/**
 * Writes the generated promtool tests: `npx tsx grafana/rules/promtool-tests/write.ts DIR` creates
 * DIR/heapwatch.rules.test.yml against the committed rules; then run `promtool test rules` on it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderPromtoolTests } from './render-tests';
import { scenarios } from './scenarios';

export const PROMTOOL_TEST_FILE = 'heapwatch.rules.test.yml';

/**
 * Writes the test file into `directory` and returns its path; `rulesFile` is absolute or relative to `directory`.
 * `only` keeps the scenarios whose name contains it.
 */
export function writePromtoolTests(directory: string, rulesFile: string, only?: string): string {
  const selected = scenarios().filter((scenario) => only === undefined || scenario.name.includes(only));
  if (selected.length === 0) throw new Error(`No promtool scenario name contains '${only}'.`);
  mkdirSync(directory, { recursive: true });
  const target = path.join(directory, PROMTOOL_TEST_FILE);
  writeFileSync(target, renderPromtoolTests(rulesFile, selected));
  return target;
}

if (require.main === module) {
  const directory = process.argv[2];
  if (!directory) {
    console.error('usage: npx tsx grafana/rules/promtool-tests/write.ts <output directory>');
    process.exit(2);
  }
  const rulesFile = path.resolve(__dirname, '..', 'heapwatch.rules.yml');
  console.log(`wrote ${writePromtoolTests(path.resolve(directory), rulesFile)}`);
}
