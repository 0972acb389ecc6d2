/** Child-process entry: a loopback agent with some heap ballast; prints `{"port":N}` once listening. */
import type { AddressInfo } from 'node:net';
import { createInterimAgent } from './interim-agent';

const ballastMiB = Number(process.env.BALLAST_MIB ?? '0');
const ballast: { id: number; label: string }[] = [];
for (let i = 0; i < ballastMiB * 8_000; i += 1) ballast.push({ id: i, label: `ballast-${i}` });
(globalThis as { heapwatchBallast?: unknown }).heapwatchBallast = ballast;

const server = createInterimAgent({
  secret: process.env.HEAPWATCH_SECRET ?? '',
  previousSecret: process.env.HEAPWATCH_SECRET_PREVIOUS,
  taskId: process.env.HEAPWATCH_TASK_ID ?? 'task',
  retryAfterSeconds: Number(process.env.RETRY_AFTER_SECONDS ?? '1'),
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
