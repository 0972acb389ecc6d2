import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdminServer, startAdminServer } from '@heapwatch/agent';
import { signToken } from '@heapwatch/agent/protocol';
import { STRANGER_KEYS, TEST_KEYS } from '../support/test-keys';
import { fakeCgroup, removeFakeCgroups } from './helpers/fake-cgroup';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';
import { silentLogger } from './helpers/silent-logger';

const { privateKey, publicKey } = TEST_KEYS;
const publicKeys = [publicKey];
const taskId = 'task-refusals';

async function postSnapshot(server: AdminServer, authorization?: string) {
  const response = await fetch(`${server.url}/heap/snapshot`, {
    method: 'POST',
    headers: authorization === undefined ? {} : { authorization },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function snapshotCount(server: AdminServer, result: string) {
  return sampleValue(
    parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text()),
    'heapwatch_snapshots_total',
    {
      result,
    },
  );
}

describe('POST /heap/snapshot refusals (no capture happens)', () => {
  afterAll(removeFakeCgroups);

  let server: AdminServer;
  let snapshotDir: string;

  beforeEach(async () => {
    snapshotDir = await mkdtemp(join(tmpdir(), 'heapwatch-refusals-'));
  });

  afterEach(async () => {
    await server?.close();
    expect(await readdir(snapshotDir)).toEqual([]);
    await rm(snapshotDir, { recursive: true, force: true });
  });

  it('answers 503 disabled when no public key is configured, and says so in the log', async () => {
    // Prepare
    const warnings: string[] = [];
    server = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      taskId,
      snapshotDir,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    // Act
    const answer = await postSnapshot(server, signToken({ privateKey, taskId }));
    // Assess
    expect([answer.status, answer.body]).toEqual([503, { error: 'disabled' }]);
    expect(warnings.join('\n')).toMatch(/HEAPWATCH_PUBLIC_KEYS is not set/);
    expect(await snapshotCount(server, 'disabled')).toBe(1);
  });

  it('answers 401 with the reason for missing, malformed, expired, forged and other-task tokens', async () => {
    // Prepare
    server = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      publicKeys,
      taskId,
      snapshotDir,
      logger: silentLogger,
    });
    const now = Math.floor(Date.now() / 1000);
    const nonce = 'a'.repeat(32);
    const valid = signToken({ privateKey, taskId });
    const signature = valid.split('.')[3];
    const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The same 64 bytes, but the last character's two unused low bits set: not the signature's only encoding.
    const lastIndex = base64url.indexOf(signature.slice(-1));
    const nonCanonical = `${valid.slice(0, -1)}${base64url[lastIndex | 1]}`;
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'missing'],
      ['Bearer abc', 'malformed'],
      [`Heapwatch v1.${now}.nonce.sig`, 'malformed'],
      [`Heapwatch v1.${now + 60}.${nonce}.${'0'.repeat(64)}`, 'malformed'],
      [`Heapwatch v2.${now + 60}.${nonce}`, 'malformed'],
      [`Heapwatch v2.${now + 60}.${nonce.toUpperCase()}.${signature}`, 'malformed'],
      [`Heapwatch v2.${now + 60}.${nonce}.${signature.slice(0, -2)}`, 'malformed'],
      [`Heapwatch v2.${now + 60}.${nonce}.${Buffer.alloc(64).toString('base64')}`, 'malformed'],
      [`Heapwatch v3.${now + 60}.${nonce}.${signature}`, 'malformed'],
      [`${valid} extra`, 'malformed'],
      [nonCanonical, 'malformed'],
      [signToken({ privateKey, taskId, nowSeconds: now - 1000, ttlSeconds: 60 }), 'expired'],
      [signToken({ privateKey, taskId, nowSeconds: now + 600 }), 'expired'],
      [signToken({ privateKey: STRANGER_KEYS.privateKey, taskId }), 'bad-signature'],
      // The signature is checked before the time: a forger learns nothing about the agent's clock.
      [
        signToken({ privateKey: STRANGER_KEYS.privateKey, taskId, nowSeconds: now - 1000, ttlSeconds: 60 }),
        'bad-signature',
      ],
      [`Heapwatch v2.${now + 60}.${nonce}.${Buffer.alloc(64).toString('base64url')}`, 'bad-signature'],
      [signToken({ privateKey, taskId: 'some-other-task' }), 'bad-signature'],
      [signToken({ privateKey, taskId, action: 'something-else' }), 'bad-signature'],
    ];
    for (const [authorization, reason] of cases) {
      // Act
      const answer = await postSnapshot(server, authorization);
      // Assess
      expect([answer.status, answer.body]).toEqual([401, { error: reason }]);
      expect(answer.headers.get('www-authenticate')).toBe('Heapwatch');
    }
    expect(await snapshotCount(server, 'unauthorized')).toBe(cases.length);
  });

  it('answers 503 insufficient-memory when the container has too little free memory, and spends the token', async () => {
    // Prepare: a 512 MiB container with 500 MiB used cannot afford a capture of this heap
    const cgroup = await fakeCgroup({ 'memory.max': String(512 * 2 ** 20), 'memory.current': String(500 * 2 ** 20) });
    server = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      publicKeys,
      taskId,
      snapshotDir,
      logger: silentLogger,
      ...cgroup,
    });
    const token = signToken({ privateKey, taskId });
    // Act
    const first = await postSnapshot(server, token);
    const replay = await postSnapshot(server, token);
    // Assess
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ error: 'insufficient-memory', freeBytes: 12 * 2 ** 20 });
    expect(first.body.neededBytes).toBeGreaterThan(12 * 2 ** 20);
    expect([replay.status, replay.body]).toEqual([401, { error: 'replayed' }]);
    expect(await snapshotCount(server, 'insufficient-memory')).toBe(1);
  });

  it('answers 503 insufficient-disk when the snapshot would not fit on disk', async () => {
    // Prepare: a disk factor no disk can satisfy
    const cgroup = await fakeCgroup({ 'memory.max': 'max', 'memory.current': '0' });
    server = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      publicKeys,
      taskId,
      snapshotDir,
      captureDiskFactor: 1e9,
      logger: silentLogger,
      ...cgroup,
    });
    // Act
    const answer = await postSnapshot(server, signToken({ privateKey, taskId }));
    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: 'insufficient-disk' });
  });

  it('refuses options that would be insecure or broken, naming the option and the fix', async () => {
    await expect(startAdminServer({ port: 0, publicKeys: ['not a key'], logger: silentLogger })).rejects.toThrow(
      /publicKeys\[0\] \(HEAPWATCH_PUBLIC_KEYS\) is not base64: .*heapwatch keygen/,
    );
    await expect(
      startAdminServer({ port: 0, publicKeys: [publicKey, STRANGER_KEYS.privateKey], logger: silentLogger }),
    ).rejects.toThrow(
      /publicKeys\[1\] \(HEAPWATCH_PUBLIC_KEYS\) holds a private key: give the agent the public key only/,
    );
    await expect(startAdminServer({ port: 70_000, logger: silentLogger })).rejects.toThrow(/port 70000 is invalid/);
    await expect(startAdminServer({ port: 0, taskId: 'a/b', logger: silentLogger })).rejects.toThrow(/task id "a\/b"/);
    await expect(startAdminServer({ port: 0, captureMemoryFactor: -1, logger: silentLogger })).rejects.toThrow(
      /captureMemoryFactor -1 is invalid/,
    );
    await expect(startAdminServer({ port: 0, headersTimeoutMs: 40_000, logger: silentLogger })).rejects.toThrow(
      /headersTimeoutMs 40000 is longer than requestTimeoutMs 30000/,
    );
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  });
});
