import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { weakPublicKeyReason } from './weak-public-key';

/**
 * Keys travel as standard base64 of their DER encoding: SPKI for a public key (what agents get, in
 * `HEAPWATCH_PUBLIC_KEYS`), PKCS8 for a private key (what signers get, in `HEAPWATCH_PRIVATE_KEY`).
 */
export interface SigningKeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const KEYGEN_HINT = 'generate a pair with `heapwatch keygen`';

export function generateSigningKeyPair(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: encodePublicKey(publicKey), privateKey: encodePrivateKey(privateKey) };
}

export function encodePublicKey(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

export function encodePrivateKey(key: KeyObject): string {
  return key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

function der(text: string, name: string, what: string): Buffer {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed)) {
    throw new Error(`${name} is not base64: it must be the standard base64 of ${what} (${KEYGEN_HINT})`);
  }
  return Buffer.from(trimmed, 'base64');
}

function isPrivateKey(bytes: Buffer): boolean {
  try {
    createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
    return true;
  } catch {
    return false;
  }
}

function assertEd25519(key: KeyObject, name: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${name} is a ${key.asymmetricKeyType} key; heapwatch tokens use Ed25519 (${KEYGEN_HINT})`);
  }
}

/** Throws a message naming `name` unless `text` is an Ed25519 public key (base64 DER SPKI). */
export function parsePublicKey(text: string, name = 'HEAPWATCH_PUBLIC_KEYS'): KeyObject {
  const bytes = der(text, name, 'an Ed25519 public key in DER SPKI encoding');
  if (isPrivateKey(bytes)) {
    throw new Error(
      `${name} holds a private key: give the agent the public key only (the line "public key" of \`heapwatch keygen\`), and treat this private key as leaked`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch {
    throw new Error(`${name} is not a DER SPKI public key (${KEYGEN_HINT})`);
  }
  assertEd25519(key, name);
  const weakness = weakPublicKeyReason(key);
  if (weakness !== undefined)
    throw new Error(`${name} is not a usable Ed25519 public key: ${weakness} (${KEYGEN_HINT})`);
  return key;
}

/** The items of a comma-separated key list such as `HEAPWATCH_PUBLIC_KEYS`. */
export function splitKeyList(list: string): string[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Parses a comma-separated list of public keys, e.g. `HEAPWATCH_PUBLIC_KEYS` during a rotation. */
export function parsePublicKeys(list: string, name = 'HEAPWATCH_PUBLIC_KEYS'): KeyObject[] {
  const items = splitKeyList(list);
  return items.map((item, index) => parsePublicKey(item, items.length > 1 ? `${name} (key ${index + 1})` : name));
}

/** Throws a message naming `name` unless `text` is an Ed25519 private key (base64 DER PKCS8). */
export function parsePrivateKey(text: string, name = 'HEAPWATCH_PRIVATE_KEY'): KeyObject {
  const bytes = der(text, name, 'an Ed25519 private key in DER PKCS8 encoding');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error(`${name} is not a DER PKCS8 private key (${KEYGEN_HINT})`);
  }
  assertEd25519(key, name);
  return key;
}

/** The public key (base64 DER SPKI) that verifies what `privateKey` signs. */
export function publicKeyOf(privateKey: KeyObject): string {
  return encodePublicKey(createPublicKey(privateKey));
}
