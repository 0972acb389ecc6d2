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

/**
 * Bundles one handler with everything it imports, the AWS SDK included (the code runs against the SDK versions it
 * was tested with), into `outDir/index.js` + source map: the asset a function deploys.
 */
export function bundleLambda(name: LambdaHandlerName, outDir: string): void {
  buildSync({
    entryPoints: [path.join(REPOSITORY_ROOT, 'lambda', `${name}.ts`)],
    outfile: path.join(outDir, 'index.js'),
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
