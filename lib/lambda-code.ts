import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The Lambda handlers heapwatch deploys, named after their files in `lambda/`. */
export type HeapwatchHandler = 'trigger' | 'discover' | 'capture' | 'analyze' | 'grafana-provisioner' | 'signing-key';

/** What is bundled like a handler: the handlers and the analysis task's entry point (`lambda/analysis-task.ts`). */
export type HeapwatchBundle = HeapwatchHandler | 'analysis-task';

/**
 * Node.js 24: Node.js 22 reaches end of life in April 2027 and Lambda deprecates a runtime then; the handlers are
 * tested on Node.js 24 in CI. The bundles target the same version (build/bundle-lambda.ts).
 */
export const HEAPWATCH_LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** What `build/bundle-lambda.ts` offers; typed here so the package build does not compile build tools. */
interface LambdaBundler {
  bundleLambda(name: HeapwatchBundle, outDir: string): void;
}

const REPOSITORY_ROOT = path.join(__dirname, '..');

/** The handler inside every bundle: `index.js`, export `handler`. */
export const HEAPWATCH_LAMBDA_HANDLER = 'index.handler';

/**
 * The code of one handler. The installed package ships every handler bundled (`dist/lambda/<name>/index.js`), so an
 * app's `cdk synth` needs neither esbuild nor Docker. Run from this repository's TypeScript sources, the handler is
 * bundled at synthesis by the local esbuild (a development dependency here).
 */
export function heapwatchLambdaCode(name: HeapwatchHandler): lambda.Code {
  if (!__filename.endsWith('.ts')) return lambda.Code.fromAsset(installedBundle(name));
  return lambda.Code.fromAsset(path.join(REPOSITORY_ROOT, 'lambda'), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('heapwatch-bundles-locally-with-esbuild'),
      local: {
        tryBundle(outputDir) {
          bundleFromSources(name, outputDir);
          return true;
        },
      },
    },
  });
}

/**
 * Puts one handler's bundle (`index.js`, the entries it starts threads from, their source maps) into `outDir`, from
 * the package or the sources.
 */
export function stageHandlerBundle(name: HeapwatchBundle, outDir: string): void {
  if (!__filename.endsWith('.ts')) {
    const bundled = installedBundle(name);
    for (const file of readdirSync(bundled)) copyFileSync(path.join(bundled, file), path.join(outDir, file));
    return;
  }
  bundleFromSources(name, outDir);
}

function installedBundle(name: HeapwatchBundle): string {
  const bundled = path.join(__dirname, '..', 'lambda', name);
  if (!existsSync(path.join(bundled, 'index.js'))) {
    throw new Error(
      `heapwatch: the bundled Lambda handler ${bundled}/index.js is missing; reinstall the heapwatch package ` +
        '(or run `npm run build` in a clone of its repository).',
    );
  }
  return bundled;
}

function bundleFromSources(name: HeapwatchBundle, outDir: string): void {
  // A development-only tool, loaded only when synthesizing from the TypeScript sources.
  const { bundleLambda } = require(path.join(REPOSITORY_ROOT, 'build', 'bundle-lambda')) as LambdaBundler;
  bundleLambda(name, outDir);
}
