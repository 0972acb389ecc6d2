import { type SigningKeyPair, signToken } from '@heapwatch/agent/protocol';
import { ask, download, forkChild, memoryOf, resetPeakRss } from './measure';

interface HeapReady {
  readonly adminUrl: string;
  readonly heapUsed: number;
  readonly objects: number;
}

export interface CaptureSample {
  readonly kind: 'agent' | 'bare';
  /** Agent: POST → last byte; bare: the writeHeapSnapshot call. */
  readonly ms: number;
  /** Agent: POST → response headers (captured and hashed, ready to send). */
  readonly headersMs?: number;
  readonly sizeBytes: number;
  readonly rssBefore: number;
  readonly peakRss: number;
}

export interface HeapSizeResult {
  readonly targetMiB: number;
  readonly heapUsed: number;
  readonly objects: number;
  readonly samples: readonly CaptureSample[];
}

/**
 * One child per heap size: captures through the agent (POST → last byte downloaded) and, alternating, bare
 * `v8.writeHeapSnapshot` calls in the same process. Peak RSS is VmHWM, reset before each operation.
 */
export async function measureCaptures(
  targetMiB: number,
  order: readonly ('agent' | 'bare')[],
  keys: SigningKeyPair,
  snapshotDir: string,
): Promise<HeapSizeResult> {
  const heap = await forkChild<HeapReady>(
    'heap-child.ts',
    { BENCH_HEAP_MB: String(targetMiB), BENCH_PUBLIC_KEY: keys.publicKey, BENCH_SNAPSHOT_DIR: snapshotDir },
    ['--expose-gc', '--max-old-space-size=8192'],
  );
  const pid = heap.child.pid!;
  const samples: CaptureSample[] = [];
  try {
    for (const kind of order) {
      resetPeakRss(pid);
      const rssBefore = memoryOf(pid).rss;
      if (kind === 'agent') {
        const authorization = signToken({ privateKey: keys.privateKey, taskId: 'bench-heap' });
        const answer = await download(`${heap.ready.adminUrl}/heap/snapshot`, { authorization });
        if (answer.status !== 200) throw new Error(`capture answered ${answer.status}`);
        samples.push({
          kind,
          ms: answer.ms,
          headersMs: answer.headersMs,
          sizeBytes: answer.bytes,
          rssBefore,
          peakRss: memoryOf(pid).peakRss,
        });
      } else {
        const bare = await ask<{ ms: number; sizeBytes: number }>(heap.child, 'bare');
        samples.push({ kind, ms: bare.ms, sizeBytes: bare.sizeBytes, rssBefore, peakRss: memoryOf(pid).peakRss });
      }
    }
  } finally {
    await heap.stop();
  }
  return { targetMiB, heapUsed: heap.ready.heapUsed, objects: heap.ready.objects, samples };
}
