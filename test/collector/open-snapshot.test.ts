import type { Server } from 'node:http';
import { parsePrivateKey, parsePublicKey, parseToken, publicKeyOf, verifyToken } from '@heapwatch/agent/protocol';
import { openSnapshot } from '../../collector/open-snapshot';
import { type SigningKeySource, staticSigningKeySource } from '../../collector/signing-key-source';
import { type ScriptedAnswer, startScriptedServer } from '../support/scripted-server';
import { STRANGER_KEYS, TEST_KEYS } from '../support/test-keys';

const TASK_ID = 'task-7';
const signingKey = () => staticSigningKeySource(TEST_KEYS.privateKey);

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
      signingKey: signingKey(),
      maxBusyWaitMs: 90_000,
      sleep: async (ms) => void waits.push(ms),
    });

    // Assess
    await expect(opening).rejects.toMatchObject({ reason: 'busy' });
    expect(waits).toEqual([30_000, 30_000, 30_000]);
    const nonces = agent.requests.map((headers) => parseToken(headers.authorization));
    expect(new Set(nonces.map((token) => (typeof token === 'string' ? token : token.nonce))).size).toBe(4);
  });

  test('reads the key again once after a bad signature; the same key is not tried twice, and the error names its public key', async () => {
    // Prepare
    const agent = await scripted(() => ({ status: 401, body: '{"error":"bad-signature"}' }));
    let invalidated = 0;
    const key = parsePrivateKey(TEST_KEYS.privateKey);
    const source: SigningKeySource = {
      get: async () => key,
      invalidate: () => {
        invalidated += 1;
      },
    };

    // Act
    const opening = openSnapshot({ url: agent.url, taskId: TASK_ID, signingKey: source });

    // Assess: the key read again is the same, so no second request
    await expect(opening).rejects.toThrow(
      new RegExp(`401 bad-signature: .*HEAPWATCH_PUBLIC_KEYS.*${escapeRegExp(publicKeyOf(key))}`),
    );
    expect(agent.requests).toHaveLength(1);
    expect(invalidated).toBe(1);
  });

  test('signs with the key read afresh after a bad signature: a rotation since it was cached loses no capture', async () => {
    // Prepare: the agent already trusts the new key; the cache still holds the one before
    const agent = await scripted((index) =>
      index < 1
        ? { status: 401, body: '{"error":"bad-signature"}' }
        : { status: 503, body: '{"error":"insufficient-memory"}' },
    );
    let stale = true;
    let reads = 0;
    const source: SigningKeySource = {
      get: async () => {
        reads += 1;
        return parsePrivateKey(stale ? STRANGER_KEYS.privateKey : TEST_KEYS.privateKey);
      },
      invalidate: () => {
        stale = false;
      },
    };

    // Act
    const opening = openSnapshot({ url: agent.url, taskId: TASK_ID, signingKey: source });

    // Assess: the second request got past the signature check, signed with the rotated key
    await expect(opening).rejects.toMatchObject({ reason: 'insufficient-memory' });
    expect(reads).toBe(2);
    expect(agent.requests).toHaveLength(2);
    const verifiesUnder = (publicKey: string) =>
      verifyToken(agent.requests[1].authorization, { publicKeys: [parsePublicKey(publicKey)], taskId: TASK_ID }).ok;
    expect([verifiesUnder(TEST_KEYS.publicKey), verifiesUnder(STRANGER_KEYS.publicKey)]).toEqual([true, false]);
  });

  test('explains an expired token as a clock problem', async () => {
    const agent = await scripted(() => ({ status: 401, body: '{"error":"expired"}' }));
    await expect(openSnapshot({ url: agent.url, taskId: TASK_ID, signingKey: signingKey() })).rejects.toThrow(
      /401 expired: .*clocks differ/,
    );
  });

  test('rejects a 200 without X-Heapwatch-Sha256', async () => {
    const agent = await scripted(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }));
    await expect(openSnapshot({ url: agent.url, taskId: TASK_ID, signingKey: signingKey() })).rejects.toThrow(
      /no valid X-Heapwatch-Sha256 header/,
    );
  });

  test('names the address when nothing listens there', async () => {
    // Prepare: a port that was just free
    const agent = await scripted(() => ({ status: 200 }));
    await new Promise((resolve) => agent.server.close(resolve));

    // Act + Assess
    await expect(openSnapshot({ url: agent.url, taskId: TASK_ID, signingKey: signingKey() })).rejects.toThrow(
      new RegExp(`cannot reach the agent at ${agent.url} \\(.*ECONNREFUSED`),
    );
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
        signingKey: signingKey(),
        timeouts: { responseMs: 200 },
      }),
    ).rejects.toMatchObject({ reason: 'timeout' });
    silent.server.closeAllConnections();
  });

  test.each(['https://10.0.0.1:9464', 'not a url'])('rejects the agent URL %s', async (url) => {
    await expect(openSnapshot({ url, taskId: TASK_ID, signingKey: signingKey() })).rejects.toThrow(
      /agent URL .* is invalid/,
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
