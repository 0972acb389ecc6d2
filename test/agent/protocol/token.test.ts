import { NonceCache, signToken, verifyToken } from '@heapwatch/agent/protocol';

const secret = 'a'.repeat(64);
const previous = 'b'.repeat(64);
const now = 1_800_000_000;

function verify(header: string | undefined, overrides: Partial<Parameters<typeof verifyToken>[1]> = {}) {
  return verifyToken(header, { secrets: [secret], taskId: 'task-1', nowSeconds: now, ...overrides });
}

describe('v1 token', () => {
  it('accepts a fresh token for its task and action', () => {
    const header = signToken({ secret, taskId: 'task-1', nowSeconds: now });
    expect(header).toMatch(/^Heapwatch v1\.\d+\.[0-9a-f]{32}\.[0-9a-f]{64}$/);
    expect(verify(header)).toMatchObject({ ok: true });
  });

  it('reports a missing or malformed header', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verify('')).toEqual({ ok: false, reason: 'missing' });
    expect(verify('Bearer abc')).toEqual({ ok: false, reason: 'malformed' });
    expect(verify('Heapwatch v2.1.2.3')).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(`Heapwatch v1.${now}.${'A'.repeat(32)}.${'0'.repeat(64)}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verify(`Heapwatch ${'x'.repeat(10_000)}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('rejects a tampered token', () => {
    const header = signToken({ secret, taskId: 'task-1', nowSeconds: now });
    const last = header.at(-1) === '0' ? '1' : '0';
    expect(verify(header.slice(0, -1) + last)).toEqual({ ok: false, reason: 'bad-signature' });
    const laterExpiry = header.replace(/v1\.(\d+)\./, (_m, e) => `v1.${Number(e) + 1}.`);
    expect(verify(laterExpiry)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects an expired token, allowing 30 s of clock skew', () => {
    const header = signToken({ secret, taskId: 'task-1', nowSeconds: now - 400, ttlSeconds: 60 });
    expect(verify(header)).toEqual({ ok: false, reason: 'expired' });
    const justExpired = signToken({ secret, taskId: 'task-1', nowSeconds: now - 80, ttlSeconds: 60 });
    expect(verify(justExpired)).toMatchObject({ ok: true });
  });

  it('checks the signature before the time: an unsigned caller cannot probe the clock', () => {
    const forged = signToken({ secret: 'not-the-agents-secret-0123456789abcdef', taskId: 'task-1', nowSeconds: now });
    const forgedStale = signToken({
      secret: 'not-the-agents-secret-0123456789abcdef',
      taskId: 'task-1',
      nowSeconds: now - 4000,
    });
    expect([verify(forged), verify(forgedStale)]).toEqual([
      { ok: false, reason: 'bad-signature' },
      { ok: false, reason: 'bad-signature' },
    ]);
  });

  it('rejects a token that expires too far in the future', () => {
    const header = signToken({ secret, taskId: 'task-1', nowSeconds: now + 120 });
    expect(verify(header)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is bound to one task and one action', () => {
    const header = signToken({ secret, taskId: 'task-2', nowSeconds: now });
    expect(verify(header)).toEqual({ ok: false, reason: 'bad-signature' });
    const other = signToken({ secret, taskId: 'task-1', action: 'other-action', nowSeconds: now });
    expect(verify(other)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts the previous secret during rotation and rejects unknown ones', () => {
    const header = signToken({ secret: previous, taskId: 'task-1', nowSeconds: now });
    expect(verify(header)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify(header, { secrets: [secret, previous] })).toMatchObject({ ok: true });
  });

  it('rejects a replayed token', () => {
    const nonces = new NonceCache();
    const header = signToken({ secret, taskId: 'task-1', nowSeconds: now });
    expect(verify(header, { nonces })).toMatchObject({ ok: true });
    expect(verify(header, { nonces })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses weak secrets, bad task ids and lifetimes over five minutes when signing', () => {
    expect(() => signToken({ secret: 'short', taskId: 't' })).toThrow(/at least 32 bytes/);
    expect(() => signToken({ secret, taskId: 'a:b' })).toThrow(/task id/);
    expect(() => signToken({ secret, taskId: 't', ttlSeconds: 301 })).toThrow(/ttlSeconds 301/);
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
