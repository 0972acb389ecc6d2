import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateSnapshotDir } from '../../../agent/src/snapshot/private-dir';

describe('private snapshot directories', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'heapwatch-root-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("removes dead agents' directories, keeps live ones and anything else", async () => {
    // Prepare: a pid that has exited, a live pid (our parent), and an unrelated directory
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (const name of [`heapwatch-${deadPid}-abcdef`, `heapwatch-${process.ppid}-ghijkl`, 'heapwatch-notapid']) {
      await mkdir(join(root, name));
      await writeFile(join(root, name, 'x.heapsnapshot'), '{}');
    }
    // Act
    const dir = await createPrivateSnapshotDir(root);
    // Assess
    expect((await readdir(root)).sort()).toEqual(
      [`heapwatch-${process.ppid}-ghijkl`, 'heapwatch-notapid', dir.slice(root.length + 1)].sort(),
    );
    expect(dir).toMatch(new RegExp(`heapwatch-${process.pid}-[A-Za-z0-9]{6}$`));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});
