import type { Server } from 'node:http';
import { parseToken, verifyToken } from '@heapwatch/agent/protocol';
import { openSnapshot } from '../../collector/open-snapshot';
import { type SecretSource, staticSecretSource } from '../../collector/secret-source';
import { type ScriptedAnswer, startScriptedServer } from '../support/scripted-server';

const SECRET = 'open-snapshot-secret-0123456789abcdef';
const PREVIOUS = 'open-snapshot-previous-0123456789abcd';
const TASK_ID = 'task-7';

describe('openSnapshot', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });
  async function scripted(answer: (index: number) => ScriptedAnswer) {
    const started = await startScriptedServer(answer);
    servers.push(started.server);
    return started;
  }

  test('gives up on a busy agent once the next Retry-After would exceed the bound, with a fresh token each time', async () => {
    // Prepare
    const agent = await scripted(() => ({ status: 409, headers: { 'retry-after': '30' }, body: '{"error":"busy"}' }));
    const waits: number[] = [];

    // Act
    const opening = openSnapshot({
      url: agent.url,
      taskId: TASK_ID,
      secrets: staticSecretSource({ current: SECRET }),
      maxBusyWaitMs: 90_000,
      sleep: async (ms) => void waits.push(ms),
    });

    // Assess
    await expect(opening).rejects.toMatchObject({ reason: 'busy' });
    expect(waits).toEqual([30_000, 30_000, 30_000]);
    const nonces = agent.requests.map((headers) => parseToken(headers.authorization));
    expect(new Set(nonces.map((token) => (typeof token === 'string' ? token : token.nonce))).size).toBe(4);
  });

  test('tries the previous secret once after a bad signature, then invalidates the cached secrets', async () => {
    // Prepare
    const agent = await scripted(() => ({ status: 401, body: '{"error":"bad-signature"}' }));
    let invalidated = 0;
    const secrets: SecretSource = {
      get: async () => ({ current: SECRET, previous: PREVIOUS }),
      invalidate: () => {
        invalidated += 1;
      },
    };

    // Act
    const opening = openSnapshot({ url: agent.url, taskId: TASK_ID, secrets });

    // Assess: the secrets read again are the same, so no third request
    await expect(opening).rejects.toMatchObject({ reason: 'unauthorized' });
    expect(agent.requests).toHaveLength(2);
    expect(invalidated).toBe(1);
  });

  test('reads the secrets again once after a bad signature: a rotation since they were cached loses no capture', async () => {
    // Prepare: the agent already has the rotated secret; the cache still holds the one before
    const ROTATED = 'open-snapshot-rotated-0123456789abcdef';
    const agent = await scripted((index) =>
      index < 2
        ? { status: 401, body: '{"error":"bad-signature"}' }
        : { status: 503, body: '{"error":"insufficient-memory"}' },
    );
    let stale = true;
    let reads = 0;
    const secrets: SecretSource = {
      get: async () => {
        reads += 1;
        return stale ? { current: SECRET, previous: PREVIOUS } : { current: ROTATED, previous: SECRET };
      },
      invalidate: () => {
        stale = false;
      },
    };

    // Act
    const opening = openSnapshot({ url: agent.url, taskId: TASK_ID, secrets });

    // Assess: the third request got past the signature check, signed with the rotated secret
    await expect(opening).rejects.toMatchObject({ reason: 'insufficient-memory' });
    expect(reads).toBe(2);
    expect(agent.requests).toHaveLength(3);
    const verify = (secret: string) =>
      verifyToken(agent.requests[2].authorization, { secrets: [secret], taskId: TASK_ID }).ok;
    expect([verify(ROTATED), verify(SECRET)]).toEqual([true, false]);
  });

  test('explains an expired token as a clock problem', async () => {
    const agent = await scripted(() => ({ status: 401, body: '{"error":"expired"}' }));
    await expect(
      openSnapshot({ url: agent.url, taskId: TASK_ID, secrets: staticSecretSource({ current: SECRET }) }),
    ).rejects.toThrow(/401 expired: .*clocks differ/);
  });

  test('rejects a 200 without X-Heapwatch-Sha256', async () => {
    const agent = await scripted(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }));
    await expect(
      openSnapshot({ url: agent.url, taskId: TASK_ID, secrets: staticSecretSource({ current: SECRET }) }),
    ).rejects.toThrow(/no valid X-Heapwatch-Sha256 header/);
  });

  test('names the address when nothing listens there', async () => {
    // Prepare: a port that was just free
    const agent = await scripted(() => ({ status: 200 }));
    await new Promise((resolve) => agent.server.close(resolve));

    // Act + Assess
    await expect(
      openSnapshot({ url: agent.url, taskId: TASK_ID, secrets: staticSecretSource({ current: SECRET }) }),
    ).rejects.toThrow(new RegExp(`cannot reach the agent at ${agent.url} \\(.*ECONNREFUSED`));
  });

  test('times out when the agent accepts the connection but never answers', async () => {
    // Prepare
    const silent = await scripted(() => ({ status: 200 }));
    silent.server.removeAllListeners('request');

    // Act + Assess
    await expect(
      openSnapshot({
        url: silent.url,
        taskId: TASK_ID,
        secrets: staticSecretSource({ current: SECRET }),
        timeouts: { responseMs: 200 },
      }),
    ).rejects.toMatchObject({ reason: 'timeout' });
    silent.server.closeAllConnections();
  });

  test.each(['https://10.0.0.1:9464', 'not a url'])('rejects the agent URL %s', async (url) => {
    await expect(
      openSnapshot({ url, taskId: TASK_ID, secrets: staticSecretSource({ current: SECRET }) }),
    ).rejects.toThrow(/agent URL .* is invalid/);
  });
});
