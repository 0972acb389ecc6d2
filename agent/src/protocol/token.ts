import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NonceCache } from './nonce-cache';

/** Wire protocol v1: `Authorization: Heapwatch v1.<expires>.<nonce>.<sig>` (docs/protocol.md). */
export const TOKEN_SCHEME = 'Heapwatch';
export const TOKEN_VERSION = 'v1';
export const SNAPSHOT_ACTION = 'heap-snapshot';
export const PROFILE_ACTION = 'heap-profile';
/** What a token may allow; it is bound to one. */
export type TokenAction = typeof SNAPSHOT_ACTION | typeof PROFILE_ACTION;
export const MAX_TOKEN_LIFETIME_SECONDS = 300;
export const CLOCK_SKEW_SECONDS = 30;
export const MIN_SECRET_BYTES = 32;

export type TokenRejection = 'missing' | 'malformed' | 'expired' | 'bad-signature' | 'replayed';

export interface ParsedToken {
  readonly expires: number;
  readonly nonce: string;
  readonly signature: string;
}

export interface SignTokenOptions {
  readonly secret: string;
  readonly taskId: string;
  /** @default 'heap-snapshot' */
  readonly action?: string;
  /** Lifetime in seconds, at most 300. @default 300 */
  readonly ttlSeconds?: number;
  /** Current time in unix seconds. @default the system clock */
  readonly nowSeconds?: number;
  /** 32 lowercase hex chars. @default 16 random bytes */
  readonly nonce?: string;
}

export interface VerifyTokenOptions {
  /** Current secret first, then the previous one during rotation. */
  readonly secrets: readonly string[];
  readonly taskId: string;
  /** @default 'heap-snapshot' */
  readonly action?: string;
  /** @default the system clock */
  readonly nowSeconds?: number;
  /** Remembers used nonces; without it replay is not checked. */
  readonly nonces?: NonceCache;
}

export type VerifyResult =
  | { readonly ok: true; readonly token: ParsedToken }
  | { readonly ok: false; readonly reason: TokenRejection };

const TOKEN_PATTERN = /^v1\.(\d{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})$/;
const TASK_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Throws when a secret is too short to be an HMAC key worth having. */
export function assertSecret(secret: string, name = 'HEAPWATCH_SECRET'): void {
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new Error(
      `${name} is ${Buffer.byteLength(secret, 'utf8')} bytes; it must be at least ${MIN_SECRET_BYTES} bytes ` +
        `(generate one with: openssl rand -hex 32)`,
    );
  }
}

export function assertTaskId(taskId: string): void {
  if (!TASK_ID_PATTERN.test(taskId)) {
    throw new Error(`task id ${JSON.stringify(taskId)} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ -`);
  }
}

export function signingInput(action: string, taskId: string, expires: number, nonce: string): string {
  return `heapwatch:${TOKEN_VERSION}:${action}:${taskId}:${expires}:${nonce}`;
}

function hmacHex(secret: string, input: string): string {
  return createHmac('sha256', secret).update(input).digest('hex');
}

/** Returns the full `Authorization` header value. */
export function signToken(options: SignTokenOptions): string {
  const ttl = options.ttlSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new Error(`ttlSeconds ${ttl} is invalid: use a whole number from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
  }
  assertSecret(options.secret);
  assertTaskId(options.taskId);
  const action = options.action ?? SNAPSHOT_ACTION;
  const expires = (options.nowSeconds ?? nowInSeconds()) + ttl;
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw new Error('nonce must be 32 lowercase hex characters');
  const signature = hmacHex(options.secret, signingInput(action, options.taskId, expires, nonce));
  return `${TOKEN_SCHEME} ${TOKEN_VERSION}.${expires}.${nonce}.${signature}`;
}

/** Parses an `Authorization` header value; never throws. */
export function parseToken(header: string | undefined): ParsedToken | TokenRejection {
  if (header === undefined || header.trim() === '') return 'missing';
  if (header.length > 256) return 'malformed';
  const [scheme, credentials, ...rest] = header.trim().split(/\s+/);
  if (scheme !== TOKEN_SCHEME || credentials === undefined || rest.length > 0) return 'malformed';
  const match = TOKEN_PATTERN.exec(credentials);
  if (!match) return 'malformed';
  return { expires: Number(match[1]), nonce: match[2], signature: match[3] };
}

function signatureMatches(secret: string, input: string, signature: string): boolean {
  const expected = Buffer.from(hmacHex(secret, input), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Accepts a token iff it is well formed, signed under one of the secrets for this task and action,
 * `now - 30 <= expires <= now + 330`, and its nonce was not used before. The signature is checked before the time,
 * so a caller without a key learns nothing about the agent's clock (every unsigned token is `bad-signature`).
 */
export function verifyToken(header: string | undefined, options: VerifyTokenOptions): VerifyResult {
  const parsed = parseToken(header);
  if (typeof parsed === 'string') return { ok: false, reason: parsed };
  const input = signingInput(options.action ?? SNAPSHOT_ACTION, options.taskId, parsed.expires, parsed.nonce);
  let matched = false;
  for (const secret of options.secrets) {
    // Every secret is checked so the time taken does not reveal which one matched.
    if (signatureMatches(secret, input, parsed.signature)) matched = true;
  }
  if (!matched) return { ok: false, reason: 'bad-signature' };
  const now = options.nowSeconds ?? nowInSeconds();
  if (
    parsed.expires < now - CLOCK_SKEW_SECONDS ||
    parsed.expires > now + MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS
  ) {
    return { ok: false, reason: 'expired' };
  }
  if (options.nonces && !options.nonces.claim(parsed.nonce, parsed.expires + CLOCK_SKEW_SECONDS, now)) {
    return { ok: false, reason: 'replayed' };
  }
  return { ok: true, token: parsed };
}
