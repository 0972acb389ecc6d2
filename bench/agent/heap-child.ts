// Benchmark child: runs the agent (its heap sampler from the start, as in a service), grows its heap to BENCH_HEAP_MB
// of small, reachable objects (like a leaking cache), and on request times a bare v8.writeHeapSnapshot of itself.
// Talks to bench/agent.ts over IPC.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { startAdminServer } from '@heapwatch/agent';

interface CachedRecord {
  readonly id: number;
  readonly key: string;
  readonly priceCents: number;
  readonly tags: readonly string[];
  readonly owner: { readonly name: string; readonly visits: number };
}

const retained: CachedRecord[] = [];

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return getHeapStatistics().used_heap_size;
}

function grow(targetBytes: number): void {
  // Everything allocated stays reachable, so used_heap_size without a GC is close enough to stop on.
  while (getHeapStatistics().used_heap_size < targetBytes) {
    for (let i = 0; i < 20_000; i++) {
      const id = retained.length;
      retained.push({
        id,
        key: `product:${id}:session:${(id * 2654435761) % 1e9}`,
        priceCents: id % 10_000,
        tags: ['sale', `bucket-${id % 97}`],
        owner: { name: `user-${id % 5000}`, visits: id },
      });
    }
  }
}

async function main(): Promise<void> {
  const snapshotDir = process.env.BENCH_SNAPSHOT_DIR!;
  const server = await startAdminServer({
    port: 0,
    host: '127.0.0.1',
    publicKeys: [process.env.BENCH_PUBLIC_KEY!],
    taskId: 'bench-heap',
    snapshotDir,
    logger: { info: () => undefined, warn: (m) => console.error(m) },
  });
  grow(Number(process.env.BENCH_HEAP_MB) * 2 ** 20);
  process.on('message', (message: { type: string }) => {
    if (message.type === 'bare') {
      const file = join(snapshotDir, `bare-${Date.now()}.heapsnapshot`);
      const started = performance.now();
      writeHeapSnapshot(file);
      const ms = performance.now() - started;
      const sizeBytes = statSync(file).size;
      rmSync(file);
      process.send!({ type: 'bare', ms, sizeBytes });
    } else if (message.type === 'stop') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send!({ type: 'ready', adminUrl: server.url, heapUsed: heapUsed(), objects: retained.length });
}

void main();
