import { freemem } from 'node:os';
import { PROFILE_ACTION, type SigningKeyPair, signToken } from '@heapwatch/agent/protocol';
import { ask, forkChild, MiB, memoryOf, resetPeakRss } from './measure';

interface HeapReady {
  readonly adminUrl: string;
  readonly heapUsed: number;
  readonly objects: number;
}

export interface CaptureCost {
  /** The request until its answer's headers: the agent's main thread is paused for (about) this long. */
  readonly pauseMs: number;
  readonly totalMs: number;
  readonly bytes: number;
  /** Peak RSS during the operation minus RSS before it. */
  readonly peakRssGrowth: number;
}

export interface ProfileVsSnapshot {
  readonly targetMiB: number;
  readonly heapUsed: number;
  readonly objects: number;
  readonly samples: number;
  readonly profile: CaptureCost;
  /** Absent when the machine has too little free memory for a snapshot of this heap. */
  readonly snapshot?: CaptureCost;
  readonly snapshotSkipped?: string;
}

/** Measured with the agent's own headroom factor: a snapshot needs about 12× heapUsed of free memory. */
const SNAPSHOT_MEMORY_FACTOR = 12;

/**
 * One child per heap size, its agent sampling from the start: a heap profile read through the agent
 * (`POST /heap/profile`), then a bare `v8.writeHeapSnapshot` of the same heap (the agent's snapshot costs the same,
 * see the capture table). Peak RSS is VmHWM, reset before each.
 */
export async function measureProfileVsSnapshot(
  targetMiB: number,
  keys: SigningKeyPair,
  snapshotDir: string,
): Promise<ProfileVsSnapshot> {
  const heap = await forkChild<HeapReady>(
    'heap-child.ts',
    { BENCH_HEAP_MB: String(targetMiB), BENCH_PUBLIC_KEY: keys.publicKey, BENCH_SNAPSHOT_DIR: snapshotDir },
    ['--expose-gc', '--max-old-space-size=16384'],
  );
  const pid = heap.child.pid!;
  try {
    resetPeakRss(pid);
    let rssBefore = memoryOf(pid).rss;
    const started = performance.now();
    const response = await fetch(`${heap.ready.adminUrl}/heap/profile`, {
      method: 'POST',
      headers: {
        authorization: signToken({ privateKey: keys.privateKey, taskId: 'bench-heap', action: PROFILE_ACTION }),
      },
    });
    const headersMs = performance.now() - started;
    const body = await response.text();
    if (response.status !== 200) throw new Error(`POST /heap/profile answered ${response.status}: ${body}`);
    const profile = {
      pauseMs: headersMs,
      totalMs: performance.now() - started,
      bytes: Buffer.byteLength(body),
      peakRssGrowth: Math.max(0, memoryOf(pid).peakRss - rssBefore),
    };
    const samples = (JSON.parse(body) as { samples: unknown[] }).samples.length;
    const needed = heap.ready.heapUsed * SNAPSHOT_MEMORY_FACTOR;
    if (freemem() < needed) {
      return {
        targetMiB,
        heapUsed: heap.ready.heapUsed,
        objects: heap.ready.objects,
        samples,
        profile,
        snapshotSkipped: `needs ~${(needed / MiB).toFixed(0)} MiB free, the machine has ${(freemem() / MiB).toFixed(0)} MiB`,
      };
    }
    resetPeakRss(pid);
    rssBefore = memoryOf(pid).rss;
    const bare = await ask<{ ms: number; sizeBytes: number }>(heap.child, 'bare');
    const snapshot = {
      pauseMs: bare.ms,
      totalMs: bare.ms,
      bytes: bare.sizeBytes,
      peakRssGrowth: Math.max(0, memoryOf(pid).peakRss - rssBefore),
    };
    return { targetMiB, heapUsed: heap.ready.heapUsed, objects: heap.ready.objects, samples, profile, snapshot };
  } finally {
    await heap.stop();
  }
}
