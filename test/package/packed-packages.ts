import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** The environment of npm run by npm (`npm test`), without the npm_* settings a nested npm would inherit. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
  return { ...env, ...extra };
}

export async function npm(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('npm', [...args], { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export interface Tarballs {
  readonly agent: string;
  readonly heapwatch: string;
}

/** Builds both packages and packs them as `npm publish` would, into `dir`. */
export async function packPackages(dir: string): Promise<Tarballs> {
  await npm(REPO_ROOT, ['run', 'build']);
  await npm(REPO_ROOT, ['pack', '--pack-destination', dir]);
  await npm(REPO_ROOT, ['pack', '--workspace', 'agent', '--pack-destination', dir]);
  const files = readdirSync(dir);
  const find = (prefix: string) => {
    const file = files.find((name) => name.startsWith(prefix) && name.endsWith('.tgz'));
    if (!file) throw new Error(`npm pack wrote no ${prefix}*.tgz into ${dir}: ${files.join(', ')}`);
    return join(dir, file);
  };
  return { agent: find('heapwatch-agent-'), heapwatch: find('heapwatch-0') };
}

/** A new project outside the repository with the fixture's files, and `packages` installed from tarballs. */
export async function freshProject(
  dir: string,
  fixture: string | undefined,
  packages: readonly string[],
  type: 'commonjs' | 'module' = 'commonjs',
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-project', private: true, type }, null, 2));
  if (fixture) cpSync(join(__dirname, 'fixtures', fixture), dir, { recursive: true });
  await npm(dir, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages]);
  return dir;
}

/** Names of every installed package of a project (`node_modules/**`), production and development alike. */
export function installedPackages(projectDir: string): string[] {
  const names: string[] = [];
  const walk = (modules: string) => {
    for (const entry of safeReaddir(modules)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of safeReaddir(join(modules, entry)))
          visit(join(modules, entry, scoped), `${entry}/${scoped}`);
      } else {
        visit(join(modules, entry), entry);
      }
    }
  };
  const visit = (dir: string, name: string) => {
    names.push(name);
    walk(join(dir, 'node_modules'));
  };
  walk(join(projectDir, 'node_modules'));
  return [...new Set(names)].sort();
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
