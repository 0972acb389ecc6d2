/**
 * `npm run build`: both packages as installed users get them.
 * - `@heapwatch/agent` (agent/dist): CommonJS + `.d.ts` compiled by tsc, and ESM entries wrapping it.
 * - the demo service (demo/dist), compiled against the agent's build, as its image runs it.
 * - `heapwatch` (dist): the constructs, analysis and CLI compiled by tsc; the dashboards and rules they read; every
 *   Lambda handler bundled, so an app's `cdk synth` needs neither esbuild nor Docker.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { writeAgentEsmEntries } from './agent-esm-entries';
import { bundleLambda, LAMBDA_HANDLERS } from './bundle-lambda';

const ROOT = path.join(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc');

function step(what: string, run: () => void): void {
  const started = performance.now();
  run();
  process.stdout.write(`build: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

function compile(project: string): void {
  execFileSync(TSC, ['-p', project], { cwd: ROOT, stdio: 'inherit' });
}

function copyArtefacts(): void {
  const dashboards = path.join(ROOT, 'grafana', 'dashboards');
  mkdirSync(path.join(ROOT, 'dist', 'grafana', 'dashboards'), { recursive: true });
  for (const file of readdirSync(dashboards).filter((name) => name.endsWith('.json'))) {
    cpSync(path.join(dashboards, file), path.join(ROOT, 'dist', 'grafana', 'dashboards', file));
  }
  cpSync(
    path.join(ROOT, 'grafana', 'rules', 'heapwatch.rules.yml'),
    path.join(ROOT, 'dist', 'grafana', 'rules', 'heapwatch.rules.yml'),
  );
}

step('@heapwatch/agent', () => {
  rmSync(path.join(ROOT, 'agent', 'dist'), { recursive: true, force: true });
  compile('agent/tsconfig.build.json');
  writeAgentEsmEntries();
});
step('demo', () => {
  rmSync(path.join(ROOT, 'demo', 'dist'), { recursive: true, force: true });
  compile('demo/tsconfig.build.json');
});
step('heapwatch', () => {
  rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
  compile('tsconfig.build.json');
  // tsc writes 0644; `npx heapwatch` in this repository runs the bin file itself, which needs the execute bit.
  chmodSync(path.join(ROOT, 'dist', 'bin', 'heapwatch.js'), 0o755);
  copyArtefacts();
});
step('Lambda handlers', () => {
  for (const name of LAMBDA_HANDLERS) bundleLambda(name, path.join(ROOT, 'dist', 'lambda', name));
});
