import { statfs } from 'node:fs/promises';
import { freemem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { type CgroupPaths, readContainerMemory } from '../cgroup-memory';

/**
 * Extra memory a capture needs, as a multiple of the heap used before it. Measured by `npm run bench:agent`
 * (peak RSS growth during `v8.writeHeapSnapshot` over heapUsed); see docs/agent.md.
 */
export const DEFAULT_CAPTURE_MEMORY_FACTOR = 12;
/** Snapshot file size as a multiple of heapUsed, with margin (measured ≈ 2×). */
export const DEFAULT_CAPTURE_DISK_FACTOR = 3;

export interface HeadroomOptions extends CgroupPaths {
  /** @default 12 */
  readonly captureMemoryFactor?: number;
  /** @default 3 */
  readonly captureDiskFactor?: number;
}

export interface HeadroomRefusal {
  readonly error: 'insufficient-memory' | 'insufficient-disk';
  readonly neededBytes: number;
  readonly freeBytes: number;
  readonly heapUsedBytes: number;
}

/** Free memory of the container (limit − usage), or of the host when the container has no limit. */
function freeMemoryBytes(paths: CgroupPaths): number {
  const { limitBytes, usageBytes } = readContainerMemory(paths);
  if (limitBytes === undefined) return freemem();
  return limitBytes - (usageBytes ?? process.memoryUsage().rss);
}

async function freeDiskBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Refuses a capture that would likely get the task OOM-killed or fill its disk. */
export async function checkCaptureHeadroom(
  snapshotDir: string,
  options: HeadroomOptions,
): Promise<HeadroomRefusal | undefined> {
  const heapUsedBytes = getHeapStatistics().used_heap_size;
  const memoryNeeded = Math.ceil(heapUsedBytes * (options.captureMemoryFactor ?? DEFAULT_CAPTURE_MEMORY_FACTOR));
  const memoryFree = freeMemoryBytes(options);
  if (memoryFree < memoryNeeded) {
    return { error: 'insufficient-memory', neededBytes: memoryNeeded, freeBytes: memoryFree, heapUsedBytes };
  }
  const diskNeeded = Math.ceil(heapUsedBytes * (options.captureDiskFactor ?? DEFAULT_CAPTURE_DISK_FACTOR));
  const diskFree = await freeDiskBytes(snapshotDir);
  if (diskFree < diskNeeded) {
    return { error: 'insufficient-disk', neededBytes: diskNeeded, freeBytes: diskFree, heapUsedBytes };
  }
  return undefined;
}
