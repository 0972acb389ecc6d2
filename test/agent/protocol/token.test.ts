import { createHmac } from 'node:crypto';
import { NonceCache, parsePublicKey, parseToken, signToken, verifyToken } from '@heapwatch/agent/protocol';
import { STRANGER_KEYS, TEST_KEYS } from '../../support/test-keys';

const privateKey = TEST_KEYS.privateKey;
const agentKeys = [parsePublicKey(TEST_KEYS.publicKey)];
const now = 1_800_000_000;

function verify(header: string | undefined, overrides: Partial<Parameters<typeof verifyToken>[1]> = {}) {
  return verifyToken(header, { publicKeys: agentKeys, taskId: 'task-1', nowSeconds: now, ...overrides });
}

function flipLastSignatureCharacter(header: string): string {
  // The last base64url character carries 2 bits of padding; flipping within its group keeps the token well formed.
  const last = header.at(-1) === 'A' ? 'Q' : 'A';
  return header.slice(0, -1) + last;
}

describe('v2 token', () => {
  it('accepts a fresh token for its task and action', () => {
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now });
    expect(header).toMatch(/^Heapwatch v2\.\d+\.[0-9a-f]{32}\.[A-Za-z0-9_-]{86}$/);
    expect(verify(header)).toMatchObject({ ok: true });
  });

  it('reports a missing or malformed header, v1 tokens included', () => {
    const v1Signature = createHmac('sha256', 'a'.repeat(64)).update('x').digest('hex');
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verify('')).toEqual({ ok: false, reason: 'missing' });
    expect(verify('Bearer abc')).toEqual({ ok: false, reason: 'malformed' });
    expect(verify('Heapwatch v2.1.2.3')).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(`Heapwatch v1.${now}.${'a'.repeat(32)}.${v1Signature}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(`Heapwatch v2.${now}.${'A'.repeat(32)}.${'A'.repeat(86)}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verify(`Heapwatch ${'x'.repeat(10_000)}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('has one text per signature: a signature with stray low bits is malformed, not a second valid token', () => {
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now });
    const signature = header.split('.').at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastIndex = alphabet.indexOf(signature.at(-1) as string);
    const aliased = header.slice(0, -1) + alphabet[lastIndex | 1];
    expect(parseToken(header)).toMatchObject({ nonce: expect.any(String) });
    expect(verify(aliased)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('has one text per token: no leading zeros, exactly one space after the scheme', () => {
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now });
    const padded = header.replace('v2.', 'v2.0');
    expect(verify(padded)).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(header.replace(' ', '  '))).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(header.replace(' ', '\t'))).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(`${header} `)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts exactly the window now - 30 <= expires <= now + 330', () => {
    const expiringAt = (expires: number) =>
      signToken({ privateKey, taskId: 'task-1', nowSeconds: expires - 1, ttlSeconds: 1 });
    expect(verify(expiringAt(now - 30))).toMatchObject({ ok: true });
    expect(verify(expiringAt(now - 31))).toEqual({ ok: false, reason: 'expired' });
    expect(verify(expiringAt(now + 330))).toMatchObject({ ok: true });
    expect(verify(expiringAt(now + 331))).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a tampered token', () => {
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now });
    expect(verify(flipLastSignatureCharacter(header))).toEqual({ ok: false, reason: 'bad-signature' });
    const laterExpiry = header.replace(/v2\.(\d+)\./, (_m, e) => `v2.${Number(e) + 1}.`);
    expect(verify(laterExpiry)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects tokens signed with a key the agent does not hold', () => {
    const forged = signToken({ privateKey: STRANGER_KEYS.privateKey, taskId: 'task-1', nowSeconds: now });
    expect(verify(forged)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects an expired token, allowing 30 s of clock skew', () => {
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now - 400, ttlSeconds: 60 });
    expect(verify(header)).toEqual({ ok: false, reason: 'expired' });
    const justExpired = signToken({ privateKey, taskId: 'task-1', nowSeconds: now - 80, ttlSeconds: 60 });
    expect(verify(justExpired)).toMatchObject({ ok: true });
  });

  it('checks the signature before the time: a caller without the key cannot probe the clock', () => {
    const forged = signToken({ privateKey: STRANGER_KEYS.privateKey, taskId: 'task-1', nowSeconds: now });
    const forgedStale = signToken({ privateKey: STRANGER_KEYS.privateKey, taskId: 'task-1', nowSeconds: now - 4000 });
    expect([verify(forged), verify(forgedStale)]).toEqual([
      { ok: false, reason: 'bad-signature' },
      { ok: false, reason: 'bad-signature' },
    ]);
  });

  it('rejects a token that expires too far in the future', () => {
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now + 120 });
    expect(verify(header)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is bound to one task and one action', () => {
    const header = signToken({ privateKey, taskId: 'task-2', nowSeconds: now });
    expect(verify(header)).toEqual({ ok: false, reason: 'bad-signature' });
    const other = signToken({ privateKey, taskId: 'task-1', action: 'heap-profile', nowSeconds: now });
    expect(verify(other)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify(other, { action: 'heap-profile' })).toMatchObject({ ok: true });
  });

  it('accepts every key of a rotation and no other', () => {
    const header = signToken({ privateKey: STRANGER_KEYS.privateKey, taskId: 'task-1', nowSeconds: now });
    expect(verify(header)).toEqual({ ok: false, reason: 'bad-signature' });
    const rotating = [...agentKeys, parsePublicKey(STRANGER_KEYS.publicKey)];
    expect(verify(header, { publicKeys: rotating })).toMatchObject({ ok: true });
  });

  it('rejects a replayed token', () => {
    const nonces = new NonceCache();
    const header = signToken({ privateKey, taskId: 'task-1', nowSeconds: now });
    expect(verify(header, { nonces })).toMatchObject({ ok: true });
    expect(verify(header, { nonces })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses a key that is not an Ed25519 private key, bad task ids and lifetimes over five minutes', () => {
    expect(() => signToken({ privateKey: TEST_KEYS.publicKey, taskId: 't' })).toThrow(
      /HEAPWATCH_PRIVATE_KEY is not a DER PKCS8 private key/,
    );
    expect(() => signToken({ privateKey: 'not base64!', taskId: 't' })).toThrow(/not base64/);
    expect(() => signToken({ privateKey, taskId: 'a:b' })).toThrow(/task id/);
    expect(() => signToken({ privateKey, taskId: 't', ttlSeconds: 301 })).toThrow(/ttlSeconds 301/);
  });
});

describe('NonceCache', () => {
  it('forgets nonces after their expiry and stays bounded', () => {
    const cache = new NonceCache(2);
    expect(cache.claim('a', 100, 0)).toBe(true);
    expect(cache.claim('b', 200, 0)).toBe(true);
    expect(cache.claim('c', 300, 50)).toBe(false);
    expect(cache.claim('c', 300, 150)).toBe(true);
    expect(cache.size).toBe(2);
    expect(cache.claim('b', 300, 150)).toBe(false);
  });
});
