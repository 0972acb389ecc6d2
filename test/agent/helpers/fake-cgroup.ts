import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes cgroup files under a temp dir: `files` maps paths relative to the cgroup root to contents. */
export async function fakeCgroup(
  files: Record<string, string>,
  procSelfCgroup = '0::/\n',
): Promise<{ cgroupRoot: string; procSelfCgroup: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'heapwatch-cgroup-'));
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
