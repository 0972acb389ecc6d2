import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdminServer, startAdminServer } from '@heapwatch/agent';
import { signToken } from '@heapwatch/agent/protocol';
import { fakeCgroup, removeFakeCgroups } from './helpers/fake-cgroup';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';
import { silentLogger } from './helpers/silent-logger';

const secret = 'current-secret-'.padEnd(48, 'x');
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

  it('answers 503 disabled when no secret is configured, and says so in the log', async () => {
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
    const answer = await postSnapshot(server, signToken({ secret, taskId }));
    // Assess
    expect([answer.status, answer.body]).toEqual([503, { error: 'disabled' }]);
    expect(warnings.join('\n')).toMatch(/HEAPWATCH_SECRET is not set/);
    expect(await snapshotCount(server, 'disabled')).toBe(1);
  });

  it('answers 401 with the reason for missing, malformed, expired, bad-signature and other-task tokens', async () => {
    // Prepare
    server = await startAdminServer({ port: 0, host: '127.0.0.1', secret, taskId, snapshotDir, logger: silentLogger });
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'missing'],
      ['Bearer abc', 'malformed'],
      [`Heapwatch v1.${now}.nonce.sig`, 'malformed'],
      [signToken({ secret, taskId, nowSeconds: now - 1000, ttlSeconds: 60 }), 'expired'],
      [signToken({ secret, taskId, nowSeconds: now + 600 }), 'expired'],
      [signToken({ secret: 'another-secret-'.padEnd(48, 'y'), taskId }), 'bad-signature'],
      [signToken({ secret, taskId: 'some-other-task' }), 'bad-signature'],
      [signToken({ secret, taskId, action: 'something-else' }), 'bad-signature'],
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
      secret,
      taskId,
      snapshotDir,
      logger: silentLogger,
      ...cgroup,
    });
    const token = signToken({ secret, taskId });
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
      secret,
      taskId,
      snapshotDir,
      captureDiskFactor: 1e9,
      logger: silentLogger,
      ...cgroup,
    });
    // Act
    const answer = await postSnapshot(server, signToken({ secret, taskId }));
    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: 'insufficient-disk' });
  });

  it('refuses options that would be insecure or broken, naming the option and the fix', async () => {
    await expect(startAdminServer({ port: 0, secret: 'short', logger: silentLogger })).rejects.toThrow(
      /secret \(HEAPWATCH_SECRET\) is 5 bytes; it must be at least 32 bytes \(generate one with: openssl rand -hex 32\)/,
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
