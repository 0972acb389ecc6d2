import type { KeyObject } from 'node:crypto';

/** The field prime of Curve25519, 2^255 - 19. */
const P = 2n ** 255n - 19n;
/** The y coordinate of the two points of order 8 with positive sign; the other two have P - Y8. */
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
/**
 * The y coordinates of the eight points of small order (1, 2, 4, 8). A public key at one of them verifies a
 * signature anybody can make for every message, so a key planted in a task's configuration would let anyone take
 * its snapshots. OpenSSL accepts such keys; the agent must not.
 */
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

/** Why an Ed25519 public key must be refused, or undefined when it is a proper key. */
export function weakPublicKeyReason(key: KeyObject): string | undefined {
  const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
  let y = 0n;
  for (let index = 31; index >= 0; index--) y = (y << 8n) | BigInt(index === 31 ? raw[index] & 0x7f : raw[index]);
  if (y >= P) return 'its point is not canonically encoded';
  if (SMALL_ORDER_Y.has(y)) return 'its point has small order, so anybody can make signatures it accepts';
  return undefined;
}
