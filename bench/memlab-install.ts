import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The peer the analysis benchmark compares against; not a dependency of the project. */
export const MEMLAB_VERSION = '2.0.5';
const MEMLAB_DIR = join(__dirname, 'out', `memlab-${MEMLAB_VERSION}`);

/**
 * Installs memlab into bench/out (git-ignored) the first time the benchmark runs, outside the project's dependency
 * tree: its puppeteer dependency would otherwise download a browser on every `npm ci`. Returns the install folder.
 */
export function ensureMemlab(): string {
  if (!existsSync(join(MEMLAB_DIR, 'node_modules', 'memlab', 'package.json'))) {
    mkdirSync(MEMLAB_DIR, { recursive: true });
    process.stderr.write(`bench: installing memlab@${MEMLAB_VERSION} into ${MEMLAB_DIR}\n`);
    execFileSync(
      'npm',
      ['install', '--prefix', MEMLAB_DIR, '--no-save', '--no-audit', '--no-fund', `memlab@${MEMLAB_VERSION}`],
      {
        stdio: 'inherit',
        env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
      },
    );
  }
  return MEMLAB_DIR;
}

/** The one function of `@memlab/heap-analysis` the benchmark calls. */
export interface MemlabHeapAnalysis {
  getFullHeapFromFile(file: string): Promise<{ readonly nodes: { readonly length: number } }>;
}

export function loadMemlabHeapAnalysis(memlabDir: string): MemlabHeapAnalysis {
  return require(join(memlabDir, 'node_modules', '@memlab', 'heap-analysis')) as MemlabHeapAnalysis;
}
