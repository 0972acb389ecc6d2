import { type KeyObject, verify } from 'node:crypto';
import type { NonceCache } from './nonce-cache';
import {
  CLOCK_SKEW_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
  nowInSeconds,
  type ParsedToken,
  parseToken,
  SNAPSHOT_ACTION,
  signingInput,
  type TokenRejection,
} from './token';

export interface VerifyTokenOptions {
  /** Ed25519 public keys (parsePublicKeys); several during a rotation. */
  readonly publicKeys: readonly KeyObject[];
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

/**
 * Accepts a token iff it is well formed, its signature verifies under one of the public keys for this task and
 * action, `now - 30 <= expires <= now + 330`, and its nonce was not used before. The signature is checked before the
 * time, so a caller without the private key learns nothing about the agent's clock (every forged token is
 * `bad-signature`).
 */
export function verifyToken(header: string | undefined, options: VerifyTokenOptions): VerifyResult {
  const parsed = parseToken(header);
  if (typeof parsed === 'string') return { ok: false, reason: parsed };
  const input = signingInput(options.action ?? SNAPSHOT_ACTION, options.taskId, parsed.expires, parsed.nonce);
  if (!options.publicKeys.some((key) => verify(null, input, key, parsed.signature))) {
    return { ok: false, reason: 'bad-signature' };
  }
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
