/**
 * Wire protocol v2: `Authorization: Heapwatch v2.<expires>.<nonce>.<sig>`, `sig` the Ed25519 signature of
 * `heapwatch:v2:<action>:<taskId>:<expires>:<nonce>` (docs/protocol.md). Signing and verifying live in their own
 * files; the agent's code imports only the verifying half and holds public keys only.
 */
export const TOKEN_SCHEME = 'Heapwatch';
export const TOKEN_VERSION = 'v2';
export const SNAPSHOT_ACTION = 'heap-snapshot';
export const PROFILE_ACTION = 'heap-profile';
/** What a token may allow; it is bound to one. */
export type TokenAction = typeof SNAPSHOT_ACTION | typeof PROFILE_ACTION;
export const MAX_TOKEN_LIFETIME_SECONDS = 300;
export const CLOCK_SKEW_SECONDS = 30;

export type TokenRejection = 'missing' | 'malformed' | 'expired' | 'bad-signature' | 'replayed';

export interface ParsedToken {
  readonly expires: number;
  readonly nonce: string;
  /** The 64-byte Ed25519 signature. */
  readonly signature: Buffer;
}

/** An Ed25519 signature is 64 bytes: 86 base64url characters without padding. */
/** Exactly one text per token: no leading zeros in `expires`, one space after the scheme. */
const HEADER_PATTERN = /^Heapwatch v2\.(0|[1-9][0-9]{0,11})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{86})$/;
const TASK_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const NONCE_PATTERN = /^[0-9a-f]{32}$/;

export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function assertTaskId(taskId: string): void {
  if (!TASK_ID_PATTERN.test(taskId)) {
    throw new Error(`task id ${JSON.stringify(taskId)} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ -`);
  }
}

export function assertNonce(nonce: string): void {
  if (!NONCE_PATTERN.test(nonce)) throw new Error('nonce must be 32 lowercase hex characters');
}

/** The bytes a token's signature covers. */
export function signingInput(action: string, taskId: string, expires: number, nonce: string): Buffer {
  return Buffer.from(`heapwatch:${TOKEN_VERSION}:${action}:${taskId}:${expires}:${nonce}`, 'utf8');
}

/** The full `Authorization` header value. */
export function formatToken(expires: number, nonce: string, signature: Buffer): string {
  return `${TOKEN_SCHEME} ${TOKEN_VERSION}.${expires}.${nonce}.${signature.toString('base64url')}`;
}

/** Parses an `Authorization` header value; never throws. A v1 token is `malformed`. */
export function parseToken(header: string | undefined): ParsedToken | TokenRejection {
  if (header === undefined || header.trim() === '') return 'missing';
  if (header.length > 256) return 'malformed';
  const match = HEADER_PATTERN.exec(header);
  if (!match) return 'malformed';
  const signature = Buffer.from(match[3], 'base64url');
  // 86 characters carry 516 bits: the last one's low bits must be zero for the text to be the signature's only form.
  if (signature.length !== 64 || signature.toString('base64url') !== match[3]) return 'malformed';
  return { expires: Number(match[1]), nonce: match[2], signature };
}
