import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the cgroup files live; tests point these at temporary files. */
export interface CgroupPaths {
  /** @default '/sys/fs/cgroup' */
  readonly cgroupRoot?: string;
  /** @default '/proc/self/cgroup' */
  readonly procSelfCgroup?: string;
}

export interface ContainerMemory {
  /** Absent when the container has no memory limit or no cgroup is readable. */
  readonly limitBytes?: number;
  /** Absent when no cgroup is readable. */
  readonly usageBytes?: number;
}

/** cgroup v1 writes "no limit" as a page-aligned INT64_MAX; anything this large is not a real limit. */
const V1_UNLIMITED_THRESHOLD = 2 ** 62;

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function parseBytes(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The cgroup paths of this process: `0::/path` (v2) and `N:...memory...:/path` (v1). */
function ownCgroupPaths(procSelfCgroup: string | undefined): { v2?: string; v1Memory?: string } {
  const paths: { v2?: string; v1Memory?: string } = {};
  for (const line of (procSelfCgroup ?? '').split('\n')) {
    const [hierarchy, controllers, path] = line.split(':', 3);
    if (path === undefined) continue;
    if (hierarchy === '0' && controllers === '') paths.v2 = path;
    else if (controllers.split(',').includes('memory')) paths.v1Memory = path;
  }
  return paths;
}

/** Tries the process's own cgroup directory first, then the mount root (what a container sees). */
function candidateDirs(base: string, ownPath: string | undefined): string[] {
  return ownPath && ownPath !== '/' ? [join(base, ownPath), base] : [base];
}

async function readFirst(dirs: readonly string[], file: string): Promise<string | undefined> {
  for (const dir of dirs) {
    const text = await readTrimmed(join(dir, file));
    if (text !== undefined) return text;
  }
  return undefined;
}

/**
 * Reads the container's memory limit and usage: cgroup v2 `memory.max` / `memory.current`, else cgroup v1
 * `memory.limit_in_bytes` / `memory.usage_in_bytes`. Never throws; unknown values are left out.
 */
export async function readContainerMemory(paths: CgroupPaths = {}): Promise<ContainerMemory> {
  const root = paths.cgroupRoot ?? '/sys/fs/cgroup';
  const own = ownCgroupPaths(await readTrimmed(paths.procSelfCgroup ?? '/proc/self/cgroup'));

  const v2Dirs = candidateDirs(root, own.v2);
  const v2Max = await readFirst(v2Dirs, 'memory.max');
  const v2Current = parseBytes(await readFirst(v2Dirs, 'memory.current'));
  if (v2Max !== undefined || v2Current !== undefined) {
    return { limitBytes: v2Max === 'max' ? undefined : parseBytes(v2Max), usageBytes: v2Current };
  }

  const v1Dirs = candidateDirs(join(root, 'memory'), own.v1Memory);
  const v1Limit = parseBytes(await readFirst(v1Dirs, 'memory.limit_in_bytes'));
  const v1Usage = parseBytes(await readFirst(v1Dirs, 'memory.usage_in_bytes'));
  return {
    limitBytes: v1Limit !== undefined && v1Limit < V1_UNLIMITED_THRESHOLD ? v1Limit : undefined,
    usageBytes: v1Usage,
  };
}
