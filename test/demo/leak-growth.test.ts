import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@heapwatch/agent/protocol';
import type { TsxChild } from '../agent/helpers/child-process';
import { parsePrometheusText, sampleValue } from '../agent/helpers/prometheus-text';
import { TEST_KEYS } from '../support/test-keys';
import { loadDemo, startDemoChild } from './helpers/demo-child';

const REQUESTS = 4000;
const MiB = 2 ** 20;

/** Old-space bytes after a full GC: V8 collects garbage before every heap snapshot, so take one first. */
async function oldSpaceAfterFullGc(child: TsxChild, taskId: string): Promise<number> {
  const snapshot = await fetch(`${child.ready.adminUrl}/heap/snapshot`, {
    method: 'POST',
    headers: { authorization: signToken({ privateKey: TEST_KEYS.privateKey, taskId }) },
  });
  expect(snapshot.status).toBe(200);
  await snapshot.arrayBuffer();
  const metrics = parsePrometheusText(await (await fetch(`${child.ready.adminUrl}/metrics`)).text());
  return sampleValue(metrics, 'nodejs_heap_space_size_used_bytes', { space: 'old' })!;
}

const load = (siteUrl: string) => loadDemo(siteUrl, REQUESTS);

describe('the demo under load', () => {
  const children: TsxChild[] = [];
  let snapshotDir: string;

  beforeAll(async () => {
    snapshotDir = await mkdtemp(join(tmpdir(), 'heapwatch-growth-'));
  });

  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop()));
    await rm(snapshotDir, { recursive: true, force: true });
  });

  async function growthOfOldSpace(leak: string): Promise<number> {
    const taskId = `growth-${leak}`;
    const child = await startDemoChild({ leak, taskId, env: { HEAPWATCH_SNAPSHOT_DIR: snapshotDir } });
    children.push(child);
    await load(child.ready.siteUrl); // warm-up: JIT, caches, lazy modules
    const before = await oldSpaceAfterFullGc(child, taskId);
    const result = await load(child.ready.siteUrl);
    expect([result.errors, result.non2xx]).toEqual([0, 0]);
    return (await oldSpaceAfterFullGc(child, taskId)) - before;
  }

  it('grows old space with HEAPWATCH_LEAK=memoize and not with none', async () => {
    // Act
    const none = await growthOfOldSpace('none');
    const memoize = await growthOfOldSpace('memoize');
    // Assess: 2,000 product pages each leave a cache entry behind (measured ~5.8 MB); none keeps ~0.2 MB
    expect(memoize).toBeGreaterThan(2.5 * MiB);
    expect(memoize - none).toBeGreaterThan(2.5 * MiB);
    expect(Math.abs(none)).toBeLessThan(1.5 * MiB);
  });
});
