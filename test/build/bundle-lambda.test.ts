import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SnapshotThreadReply, SnapshotThreadRequest } from '../../analysis/analysis-threads';
import { bundleLambda } from '../../build/bundle-lambda';
import { writeSnapshotSeries } from '../analysis/fixtures/write-series';

describe('bundleLambda', () => {
  const work = mkdtempSync(join(tmpdir(), 'heapwatch-bundle-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the analysis thread entry beside an analysing handler, and it analyses a snapshot on its own', async () => {
    // Prepare
    const out = join(work, 'analyze');
    const [snapshot] = await writeSnapshotSeries('memoize', mkdtempSync(join(work, 'series-')), 200);
    // Act
    bundleLambda('analyze', out);
    const request: SnapshotThreadRequest = { heapwatchSnapshotThread: true, file: snapshot };
    const worker = new Worker(join(out, 'snapshot-worker.js'), { workerData: request });
    const replies: SnapshotThreadReply[] = [];
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: SnapshotThreadReply) => {
        replies.push(reply);
        if (!('progress' in reply)) resolve();
      });
      worker.on('error', reject);
    });
    await worker.terminate();
    // Assess
    expect(readdirSync(out).sort()).toEqual([
      'index.js',
      'index.js.map',
      'snapshot-worker.js',
      'snapshot-worker.js.map',
    ]);
    const last = replies[replies.length - 1];
    if (!('snapshot' in last)) throw new Error(`the thread did not analyse the snapshot: ${JSON.stringify(last)}`);
    expect(last.snapshot.nodeCount).toBeGreaterThan(10_000);
    expect(last.snapshot.classNames).toContain('RenderedPage');
  }, 120_000);

  it('gives handlers that do not analyse snapshots no thread entry', () => {
    // Act
    bundleLambda('trigger', join(work, 'trigger'));
    // Assess
    expect(existsSync(join(work, 'trigger', 'index.js'))).toBe(true);
    expect(existsSync(join(work, 'trigger', 'snapshot-worker.js'))).toBe(false);
  }, 60_000);
});
