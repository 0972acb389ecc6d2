/**
 * Measured by bench:analysis: a diff of three snapshots peaks at ~3.2× the largest file's size in RSS (1.24 GiB for
 * 358/375/394 MB files). A quarter more is kept for the V8 heap's own slack, plus 1 GiB for Node and the OS.
 */
export const ANALYSIS_BYTES_PER_SNAPSHOT_BYTE = 3.2 * 1.25;
const BASE_MEMORY_MIB = 1024;

/** Fargate's task sizes (vCPU units → memory range in MiB and its step), the ones big enough for a large series. */
const FARGATE_SIZES = [
  { cpu: 4096, minMiB: 8192, maxMiB: 30_720, stepMiB: 1024 },
  { cpu: 8192, minMiB: 16_384, maxMiB: 61_440, stepMiB: 4096 },
  { cpu: 16_384, minMiB: 32_768, maxMiB: 122_880, stepMiB: 8192 },
] as const;

/** Where a series is analysed, as the state machine reads it (strings, as ECS task overrides take them). */
export interface FargatePlacement {
  readonly cpu: string;
  readonly memoryMiB: string;
  /** `--max-old-space-size` for the task's memory: snapshot strings live on the V8 heap. */
  readonly nodeOptions: string;
}

/** Memory the analysis of a series needs, by its largest snapshot. */
export function analysisMemoryMiB(largestSnapshotBytes: number): number {
  return Math.ceil((largestSnapshotBytes * ANALYSIS_BYTES_PER_SNAPSHOT_BYTE) / 1024 ** 2) + BASE_MEMORY_MIB;
}

/**
 * The smallest Fargate task that analyses a series whose largest snapshot has this size, or undefined when even
 * the largest task (16 vCPU, 120 GiB) is too small.
 */
export function fargatePlacement(largestSnapshotBytes: number): FargatePlacement | undefined {
  const needed = analysisMemoryMiB(largestSnapshotBytes);
  for (const size of FARGATE_SIZES) {
    if (needed > size.maxMiB) continue;
    const memoryMiB = Math.max(size.minMiB, Math.ceil(needed / size.stepMiB) * size.stepMiB);
    // The rest of the task's memory stays for Node itself, buffers and the OS.
    const heapMiB = Math.floor(memoryMiB * 0.85);
    return { cpu: String(size.cpu), memoryMiB: String(memoryMiB), nodeOptions: `--max-old-space-size=${heapMiB}` };
  }
  return undefined;
}

/** The largest task's memory, for messages. */
export const FARGATE_MAX_MEMORY_MIB = FARGATE_SIZES[FARGATE_SIZES.length - 1].maxMiB;
