import { createPrivateKey, type KeyObject } from 'node:crypto';
import { generateSigningKeyPair, parsePublicKey, signToken, verifyToken } from '@heapwatch/agent/protocol';
import { type AgentProcess, startAgentProcess } from '../../support/agent-harness';

const TASK_ID = 'keyless-task';
/** The DER prefix of an Ed25519 PKCS8 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Every text form a leaked Ed25519 private key could take in a heap. */
function privateKeyForms(privateKey: string): string[] {
  const der = Buffer.from(privateKey, 'base64');
  const seed = der.subarray(PKCS8_ED25519_PREFIX.length);
  const pem = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const body = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  return [
    der.toString('base64'),
    der.toString('base64url'),
    der.toString('hex'),
    seed.toString('hex'),
    seed.toString('base64'),
    seed.toString('base64url'),
    ...body,
  ];
}

/** Tries a heap string as a signing key in every encoding a key is written in; undefined when it is none. */
function asSigningKey(text: string): KeyObject | undefined {
  const candidates: Buffer[] = [];
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    candidates.push(Buffer.from(text, 'base64'), Buffer.from(text, 'base64url'));
  }
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) candidates.push(Buffer.from(text, 'hex'));
  if (text.includes('PRIVATE KEY')) {
    try {
      return createPrivateKey(text);
    } catch {
      return undefined;
    }
  }
  for (const bytes of candidates) {
    const der = bytes.length === 32 ? Buffer.concat([PKCS8_ED25519_PREFIX, bytes]) : bytes;
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      // not a key in this encoding
    }
  }
  return undefined;
}

async function post(agent: AgentProcess, path: string, authorization: string): Promise<Response> {
  return fetch(`${agent.url}${path}`, { method: 'POST', headers: { authorization } });
}

describe('a heap snapshot of a watched task', () => {
  // Two keys, as during a rotation: the agent trusts both public keys and has seen neither private key.
  const current = generateSigningKeyPair();
  const next = generateSigningKeyPair();
  let agent: AgentProcess;
  let snapshotText: string;
  let strings: string[];
  let signedTokens: string[];

  beforeAll(async () => {
    // The service copies its whole environment into its configuration, as most config loaders do.
    agent = await startAgentProcess({
      taskId: TASK_ID,
      publicKeys: [current.publicKey, next.publicKey],
      environment: { COPY_ENVIRONMENT: '1' },
    });
    // Tokens of both kinds and both keys pass through the agent before the snapshot, so they are in its heap.
    signedTokens = [
      signToken({ privateKey: current.privateKey, taskId: TASK_ID, action: 'heap-profile' }),
      signToken({ privateKey: next.privateKey, taskId: TASK_ID, action: 'heap-profile' }),
    ];
    for (const token of signedTokens) expect((await post(agent, '/heap/profile', token)).status).toBe(200);
    const snapshotToken = signToken({ privateKey: current.privateKey, taskId: TASK_ID });
    signedTokens.push(snapshotToken);
    const answer = await post(agent, '/heap/snapshot', snapshotToken);
    expect(answer.status).toBe(200);
    snapshotText = await answer.text();
    strings = (JSON.parse(snapshotText) as { strings: string[] }).strings;
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
  });

  it('holds the public keys it verifies with and no form of either private key', () => {
    for (const pair of [current, next]) {
      expect(strings).toEqual(expect.arrayContaining([expect.stringContaining(pair.publicKey)]));
    }
    for (const pair of [current, next]) {
      for (const form of privateKeyForms(pair.privateKey)) expect(snapshotText.includes(form)).toBe(false);
    }
  });

  it('holds nothing that signs a token the agent accepts', () => {
    const trusted = [parsePublicKey(current.publicKey), parsePublicKey(next.publicKey)];
    const keysFound = strings.map(asSigningKey).filter((key): key is KeyObject => key !== undefined);
    const accepted = keysFound.filter((key) => {
      const token = signToken({ privateKey: key, taskId: TASK_ID });
      return verifyToken(token, { publicKeys: trusted, taskId: TASK_ID }).ok;
    });
    expect(accepted).toEqual([]);
    // The search finds a key when one is there: the private key in each of its forms signs accepted tokens.
    for (const form of privateKeyForms(current.privateKey)) {
      const key = asSigningKey(form);
      expect(
        key &&
          verifyToken(signToken({ privateKey: key, taskId: TASK_ID }), { publicKeys: trusted, taskId: TASK_ID }).ok,
      ).toBe(true);
    }
  });

  it('holds the tokens it has seen, and every one of them is spent', async () => {
    const seen = strings.filter((text) => /^Heapwatch v2\./.test(text));
    expect(seen).toEqual(expect.arrayContaining(signedTokens.slice(0, 2)));
    for (const token of seen) {
      const path = signedTokens.indexOf(token) === 2 ? '/heap/snapshot' : '/heap/profile';
      const answer = await post(agent, path, token);
      expect({ token: token.slice(0, 24), status: answer.status }).toEqual({ token: token.slice(0, 24), status: 401 });
      expect(await answer.json()).toEqual({ error: 'replayed' });
    }
  });
});

describe('the same search on a task that does hold a private key (a misconfiguration the agent warns about)', () => {
  const pair = generateSigningKeyPair();
  let agent: AgentProcess;

  afterAll(async () => {
    await agent?.kill();
  });

  it('finds the key in the snapshot and signs tokens the agent accepts with it', async () => {
    // Prepare: the private key in the service's environment, as if a task definition carried it, and a service that
    // copies its environment into its configuration (v1's shared secret sat in the heap the same way)
    agent = await startAgentProcess({
      taskId: TASK_ID,
      publicKeys: [pair.publicKey],
      environment: { HEAPWATCH_PRIVATE_KEY: pair.privateKey, COPY_ENVIRONMENT: '1' },
    });
    const answer = await post(agent, '/heap/snapshot', signToken({ privateKey: pair.privateKey, taskId: TASK_ID }));
    expect(answer.status).toBe(200);
    const strings = (JSON.parse(await answer.text()) as { strings: string[] }).strings;

    // Act
    const trusted = [parsePublicKey(pair.publicKey)];
    const accepted = strings
      .map(asSigningKey)
      .filter((key): key is KeyObject => key !== undefined)
      .filter(
        (key) =>
          verifyToken(signToken({ privateKey: key, taskId: TASK_ID }), { publicKeys: trusted, taskId: TASK_ID }).ok,
      );

    // Assess: this is what the design keeps out of every watched task
    expect(accepted.length).toBeGreaterThan(0);
  }, 60_000);
});
