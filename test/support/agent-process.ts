/** Child-process entry: the real heapwatch agent on loopback, with some heap ballast; prints its port once listening. */
import { startAdminServer } from '@heapwatch/agent';

const READY_PREFIX = 'heapwatch-agent-ready ';

const ballastMiB = Number(process.env.BALLAST_MIB ?? '0');
const ballast: { id: number; label: string }[] = [];
for (let i = 0; i < ballastMiB * 8_000; i += 1) ballast.push({ id: i, label: `ballast-${i}` });
(globalThis as { heapwatchBallast?: unknown }).heapwatchBallast = ballast;

/** A service whose configuration loader copies its whole environment, as most do: every value is then on the heap. */
if (process.env.COPY_ENVIRONMENT === '1') {
  (globalThis as { serviceConfig?: unknown }).serviceConfig = { ...process.env };
}

/** A deliberate leak for series tests: sessions cached and never evicted. */
class LeakedSession {
  constructor(
    readonly id: number,
    readonly payload: string,
  ) {}
}
const sessionCache = new Map<number, LeakedSession>();
const leakPerTick = Number(process.env.LEAK_PER_TICK ?? '0');
if (leakPerTick > 0) {
  let next = 0;
  setInterval(() => {
    for (let i = 0; i < leakPerTick; i += 1, next += 1)
      sessionCache.set(next, new LeakedSession(next, `session-${next}`.repeat(4)));
  }, 20).unref();
}

void startAdminServer({
  host: '127.0.0.1',
  port: 0,
  publicKeys: process.env.HEAPWATCH_PUBLIC_KEYS?.split(','),
  taskId: process.env.HEAPWATCH_TASK_ID,
  snapshotDir: process.env.SNAPSHOT_DIR,
  captureMemoryFactor: process.env.CAPTURE_MEMORY_FACTOR ? Number(process.env.CAPTURE_MEMORY_FACTOR) : undefined,
  heapSamplingIntervalBytes: process.env.HEAPWATCH_HEAP_SAMPLING_INTERVAL
    ? Number(process.env.HEAPWATCH_HEAP_SAMPLING_INTERVAL)
    : undefined,
  logger: {
    info: (message) => process.stderr.write(`${message}\n`),
    warn: (message) => process.stderr.write(`${message}\n`),
  },
}).then((server) => {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ port: server.port })}\n`);
});
