// `npm run demo`: the demo shop on PORT (8080) and its agent on HEAPWATCH_ADMIN_PORT (9464).
import { adminServerOptionsFromEnv } from '@heapwatch/agent';
import { startDemo } from './index';
import { findLeak } from './leaks';

function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name]?.trim() || String(fallback);
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name}=${JSON.stringify(text)} is invalid: use a port number from 0 to 65535`);
  }
  return port;
}

/**
 * The drill's `--task-memory` runs the demo as if in a task with that memory limit: the agent then reads a cgroup
 * directory the drill keeps up to date instead of the host's (which has no limit).
 */
function simulatedCgroup(): { cgroupRoot?: string; procSelfCgroup?: string } {
  const cgroupRoot = process.env.HEAPWATCH_DEMO_CGROUP_ROOT?.trim();
  const procSelfCgroup = process.env.HEAPWATCH_DEMO_PROC_SELF_CGROUP?.trim();
  return cgroupRoot && procSelfCgroup ? { cgroupRoot, procSelfCgroup } : {};
}

async function main(): Promise<void> {
  const leak = findLeak(process.env.HEAPWATCH_LEAK?.trim() || 'none');
  const admin = { ...(await adminServerOptionsFromEnv(process.env)), ...simulatedCgroup() };
  const host = process.env.HOST?.trim() || '0.0.0.0';
  const demo = await startDemo({
    port: portFromEnv('PORT', 8080),
    adminPort: portFromEnv('HEAPWATCH_ADMIN_PORT', 9464),
    host,
    leak: leak.name,
    admin,
  });
  process.stdout.write(
    `${JSON.stringify({
      event: 'listening',
      siteUrl: demo.siteUrl,
      adminUrl: demo.adminUrl,
      leak: leak.name,
      taskId: admin.taskId,
      captures: admin.publicKeys ? 'enabled' : 'disabled (HEAPWATCH_PUBLIC_KEYS not set)',
    })}\n`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${JSON.stringify({ event: 'stopping', signal })}\n`);
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`demo: shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(1);
});
