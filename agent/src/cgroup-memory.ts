import { readFileSync } from 'node:fs';
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

// Sync reads on purpose: these are tiny kernel pseudo-files, and the thread pool's queueing would cost more
// scrape latency than the read itself.
function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
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

/** The process's own cgroup directory first, then the mount root (what a container usually sees). */
function candidateDirs(base: string, ownPath: string | undefined): string[] {
  return ownPath && ownPath !== '/' ? [join(base, ownPath), base] : [base];
}

function firstReadable(dirs: readonly string[], file: string): string | undefined {
  return dirs.map((dir) => join(dir, file)).find((path) => readTrimmed(path) !== undefined);
}

interface MemoryFiles {
  readonly version: 'v2' | 'v1';
  readonly limit?: string;
  readonly usage?: string;
}

/** Finds the limit and usage files: cgroup v2 `memory.max` / `memory.current`, else v1's. */
function findMemoryFiles(paths: CgroupPaths): MemoryFiles | undefined {
  const root = paths.cgroupRoot ?? '/sys/fs/cgroup';
  const own = ownCgroupPaths(readTrimmed(paths.procSelfCgroup ?? '/proc/self/cgroup'));
  const v2Dirs = candidateDirs(root, own.v2);
  const v2 = {
    version: 'v2',
    limit: firstReadable(v2Dirs, 'memory.max'),
    usage: firstReadable(v2Dirs, 'memory.current'),
  } as const;
  if (v2.limit || v2.usage) return v2;
  const v1Dirs = candidateDirs(join(root, 'memory'), own.v1Memory);
  const v1 = {
    version: 'v1',
    limit: firstReadable(v1Dirs, 'memory.limit_in_bytes'),
    usage: firstReadable(v1Dirs, 'memory.usage_in_bytes'),
  } as const;
  return v1.limit || v1.usage ? v1 : undefined;
}

/**
 * Reads the container's memory limit and usage. The files are located once (a process does not change
 * cgroup); their values are read on every call. Never throws; unknown values are left out.
 */
export class ContainerMemoryReader {
  private files?: MemoryFiles | null;

  constructor(private readonly paths: CgroupPaths = {}) {}

  read(): ContainerMemory {
    if (this.files === undefined) this.files = findMemoryFiles(this.paths) ?? null;
    if (this.files === null) return {};
    const { version, limit, usage } = this.files;
    const limitText = limit === undefined ? undefined : readTrimmed(limit);
    const limitBytes = parseBytes(limitText);
    return {
      limitBytes:
        version === 'v2'
          ? limitText === 'max'
            ? undefined
            : limitBytes
          : limitBytes !== undefined && limitBytes < V1_UNLIMITED_THRESHOLD
            ? limitBytes
            : undefined,
      usageBytes: usage === undefined ? undefined : parseBytes(readTrimmed(usage)),
    };
  }
}

/** One-off read (locates the files each time); see ContainerMemoryReader for repeated reads. */
export function readContainerMemory(paths: CgroupPaths = {}): ContainerMemory {
  return new ContainerMemoryReader(paths).read();
}
