import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** Removes every fake cgroup made so far (call in afterAll). */
export async function removeFakeCgroups(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Writes cgroup files under a temp dir: `files` maps paths relative to the cgroup root to contents. */
export async function fakeCgroup(
  files: Record<string, string>,
  procSelfCgroup = '0::/\n',
): Promise<{ cgroupRoot: string; procSelfCgroup: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'heapwatch-cgroup-'));
  created.push(dir);
  const cgroupRoot = join(dir, 'sys-fs-cgroup');
  for (const [relative, content] of Object.entries(files)) {
    const path = join(cgroupRoot, relative);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
  await mkdir(cgroupRoot, { recursive: true });
  await writeFile(join(dir, 'proc-self-cgroup'), procSelfCgroup);
  return { cgroupRoot, procSelfCgroup: join(dir, 'proc-self-cgroup') };
}
