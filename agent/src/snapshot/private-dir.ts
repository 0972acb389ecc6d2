import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const PRIVATE_DIR = /^heapwatch-(\d+)-[A-Za-z0-9]{6}$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}

/**
 * Removes the private snapshot directories of agents that died mid-capture (killed, OOM): snapshots hold user
 * data and can be gigabytes. Only directories named after a process id that no longer runs are touched.
 */
export async function removeStaleSnapshotDirs(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(PRIVATE_DIR.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true }).then(
      () => removed.push(name),
      () => undefined,
    );
  }
  return removed;
}

/** A new `heapwatch-<pid>-XXXXXX` directory (mode 0700) under `root`, after sweeping dead agents' ones. */
export async function createPrivateSnapshotDir(root: string): Promise<string> {
  await removeStaleSnapshotDirs(root);
  return mkdtemp(join(root, `heapwatch-${process.pid}-`));
}
