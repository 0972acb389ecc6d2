import { type KeyObject, randomBytes, sign } from 'node:crypto';
import { parsePrivateKey } from './keys';
import {
  assertNonce,
  assertTaskId,
  formatToken,
  MAX_TOKEN_LIFETIME_SECONDS,
  nowInSeconds,
  SNAPSHOT_ACTION,
  signingInput,
} from './token';

export interface SignTokenOptions {
  /** The Ed25519 private key: a KeyObject, or the standard base64 of its DER PKCS8 encoding. */
  readonly privateKey: KeyObject | string;
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

/** Returns the full `Authorization` header value. Only signers call this; agents never hold a private key. */
export function signToken(options: SignTokenOptions): string {
  const ttl = options.ttlSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new Error(`ttlSeconds ${ttl} is invalid: use a whole number from 1 to ${MAX_TOKEN_LIFETIME_SECONDS}`);
  }
  assertTaskId(options.taskId);
  const key = typeof options.privateKey === 'string' ? parsePrivateKey(options.privateKey) : options.privateKey;
  const action = options.action ?? SNAPSHOT_ACTION;
  const expires = (options.nowSeconds ?? nowInSeconds()) + ttl;
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  assertNonce(nonce);
  const signature = sign(null, signingInput(action, options.taskId, expires, nonce), key);
  return formatToken(expires, nonce, signature);
}
