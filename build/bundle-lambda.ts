import * as path from 'node:path';
import { buildSync } from 'esbuild';

const REPOSITORY_ROOT = path.join(__dirname, '..');

/** The Lambda handlers in `lambda/`, by file name without `.ts`, and the analysis task's entry point beside them. */
export const LAMBDA_HANDLERS = [
  'trigger',
  'discover',
  'capture',
  'analyze',
  'analysis-task',
  'grafana-provisioner',
  'signing-key',
] as const;
export type LambdaHandlerName = (typeof LAMBDA_HANDLERS)[number];

/** Node.js version the handlers are compiled for; matches the functions' runtime (lib/lambda-code.ts). */
export const LAMBDA_NODE_TARGET = 'node24';

/** Bundles that analyse snapshots, and so start snapshot threads (analysis/analysis-threads.ts). */
const ANALYSING_BUNDLES: readonly LambdaHandlerName[] = ['analyze', 'analysis-task'];

/**
 * Bundles one handler with everything it imports, the AWS SDK included (the code runs against the SDK versions it
 * was tested with), into `outDir/index.js` + source map: the asset a function deploys. A bundle that analyses
 * snapshots also gets `snapshot-worker.js`, the entry of its analysis threads, beside `index.js`.
 */
export function bundleLambda(name: LambdaHandlerName, outDir: string): void {
  const entryPoints: Record<string, string> = { index: path.join(REPOSITORY_ROOT, 'lambda', `${name}.ts`) };
  if (ANALYSING_BUNDLES.includes(name)) {
    entryPoints['snapshot-worker'] = path.join(REPOSITORY_ROOT, 'analysis', 'snapshot-worker.ts');
  }
  buildSync({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_NODE_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    tsconfig: path.join(REPOSITORY_ROOT, 'tsconfig.json'),
  });
}
