import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeyPair, signToken } from '@heapwatch/agent/protocol';
import { TEST_KEYS } from '../support/test-keys';
import { startTsxChild, type TsxChild } from './helpers/child-process';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';

/** The agent trusts two keys, as during a rotation: TEST_KEYS and this one. */
const otherKeys = generateSigningKeyPair();
const privateKey = TEST_KEYS.privateKey;
const taskId = 'task-capture-1';

interface Download {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function postSnapshot(adminUrl: string, authorization: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = request(`${adminUrl}/heap/snapshot`, { method: 'POST', headers: { authorization } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function snapshotCount(adminUrl: string, result: string) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return sampleValue(parsePrometheusText(text), 'heapwatch_snapshots_total', { result });
}

async function waitUntilEmpty(dir: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let files = await readdir(dir);
  while (files.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    files = await readdir(dir);
  }
  return files;
}

describe('POST /heap/snapshot captures (agent in its own process)', () => {
  let child: TsxChild;
  let snapshotDir: string;
  let adminUrl: string;

  beforeAll(async () => {
    snapshotDir = await mkdtemp(join(tmpdir(), 'heapwatch-capture-'));
    child = await startTsxChild('test/agent/fixtures/admin-from-env.ts', {
      HEAPWATCH_PUBLIC_KEYS: `${TEST_KEYS.publicKey},${otherKeys.publicKey}`,
      HEAPWATCH_TASK_ID: taskId,
      HEAPWATCH_ADMIN_PORT: '0',
      HEAPWATCH_ADMIN_HOST: '127.0.0.1',
      HEAPWATCH_SNAPSHOT_DIR: snapshotDir,
    });
    adminUrl = child.ready.adminUrl;
  });

  afterAll(async () => {
    await child?.stop();
    await rm(snapshotDir, { recursive: true, force: true });
  });

  it('returns a V8 heap snapshot that matches its sha256 header, named by task, and deletes the file', async () => {
    // Act
    const download = await postSnapshot(adminUrl, signToken({ privateKey, taskId }));
    // Assess
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/json');
    expect(Number(download.headers['content-length'])).toBe(download.body.length);
    expect(download.headers['x-heapwatch-task-id']).toBe(taskId);
    expect(download.headers['content-disposition']).toMatch(
      /^attachment; filename="task-capture-1-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.heapsnapshot"$/,
    );
    expect(download.headers['x-heapwatch-sha256']).toBe(createHash('sha256').update(download.body).digest('hex'));
    const snapshot = JSON.parse(download.body.toString('utf8')) as {
      snapshot: { meta: { node_fields: string[] }; node_count: number };
      nodes: number[];
    };
    expect(snapshot.snapshot.meta.node_fields).toContain('self_size');
    expect(snapshot.nodes.length).toBe(snapshot.snapshot.node_count * snapshot.snapshot.meta.node_fields.length);
    expect(await waitUntilEmpty(snapshotDir)).toEqual([]);
    expect(await snapshotCount(adminUrl, 'ok')).toBe(1);
  });

  it('accepts a token signed with the other key of a rotation, once', async () => {
    const token = signToken({ privateKey: otherKeys.privateKey, taskId });
    const first = await postSnapshot(adminUrl, token);
    const replay = await postSnapshot(adminUrl, token);
    expect(first.status).toBe(200);
    expect([replay.status, JSON.parse(replay.body.toString())]).toEqual([401, { error: 'replayed' }]);
  });

  it('runs one capture at a time: 20 concurrent requests get exactly one 200 and 19 409 busy', async () => {
    // Prepare
    const tokens = Array.from({ length: 20 }, () => signToken({ privateKey, taskId }));
    // Act
    const downloads = await Promise.all(tokens.map((token) => postSnapshot(adminUrl, token)));
    // Assess
    const statuses = downloads.map((d) => d.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(409)]);
    for (const busy of downloads.filter((d) => d.status === 409)) {
      expect(JSON.parse(busy.body.toString())).toEqual({ error: 'busy' });
      expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(await waitUntilEmpty(snapshotDir)).toEqual([]);
  });

  it('serves a client that asks again the moment its previous download ended (no 409 from the finished capture)', async () => {
    // Act: five captures back to back, each POST sent as soon as the last one's last byte arrived
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postSnapshot(adminUrl, signToken({ privateKey, taskId }))).status);
    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await waitUntilEmpty(snapshotDir)).toEqual([]);
  });

  it('deletes the spooled file when the client aborts mid-download', async () => {
    // Act: read the first chunk, then hang up
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${adminUrl}/heap/snapshot`,
        { method: 'POST', headers: { authorization: signToken({ privateKey, taskId }) } },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', () => {
            res.pause();
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
      req.end();
    });
    // Assess
    expect(await waitUntilEmpty(snapshotDir)).toEqual([]);
    const deadline = Date.now() + 5000;
    while ((await snapshotCount(adminUrl, 'aborted')) !== 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await snapshotCount(adminUrl, 'aborted')).toBe(1);
    // The agent still works afterwards.
    expect((await postSnapshot(adminUrl, signToken({ privateKey, taskId }))).status).toBe(200);
  });
});
