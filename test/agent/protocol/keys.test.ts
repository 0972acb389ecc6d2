import { generateKeyPairSync } from 'node:crypto';
import {
  generateSigningKeyPair,
  parsePrivateKey,
  parsePublicKey,
  parsePublicKeys,
  publicKeyOf,
} from '@heapwatch/agent/protocol';

describe('signing keys', () => {
  it('makes a pair whose private key signs what its public key verifies', () => {
    const pair = generateSigningKeyPair();
    expect(publicKeyOf(parsePrivateKey(pair.privateKey))).toBe(pair.publicKey);
    expect(parsePublicKey(pair.publicKey).asymmetricKeyType).toBe('ed25519');
  });

  it('reads a rotation list and names the key that is wrong', () => {
    const [a, b] = [generateSigningKeyPair(), generateSigningKeyPair()];
    expect(parsePublicKeys(` ${a.publicKey} , ${b.publicKey} `)).toHaveLength(2);
    expect(() => parsePublicKeys(`${a.publicKey},nonsense`)).toThrow(
      /HEAPWATCH_PUBLIC_KEYS \(key 2\) is not a DER SPKI public key/,
    );
  });

  it('refuses a private key where a public key belongs, and says it must now be treated as leaked', () => {
    const pair = generateSigningKeyPair();
    expect(() => parsePublicKey(pair.privateKey)).toThrow(/holds a private key.*treat this private key as leaked/);
  });

  it('refuses keys of other algorithms, naming the one it got', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const spki = rsa.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const pkcs8 = rsa.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(() => parsePublicKey(spki)).toThrow(/is a rsa key; heapwatch tokens use Ed25519/);
    expect(() => parsePrivateKey(pkcs8)).toThrow(/HEAPWATCH_PRIVATE_KEY is a rsa key/);
  });

  it('refuses public keys of small order or in a non-canonical encoding: anybody could sign for them', () => {
    const spki = (y: Buffer) => Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), y]).toString('base64');
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const p = 2n ** 255n - 19n;
    const littleEndian = (value: bigint) =>
      Buffer.from(Array.from({ length: 32 }, (_, index) => Number((value >> BigInt(8 * index)) & 0xffn)));
    const y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
    for (const weak of [identity, Buffer.alloc(32), littleEndian(p - 1n), littleEndian(y8), littleEndian(p - y8)]) {
      expect(() => parsePublicKey(spki(weak))).toThrow(/small order, so anybody can make signatures it accepts/);
    }
    expect(() => parsePublicKey(spki(littleEndian(p + 1n)))).toThrow(/not canonically encoded/);

    // Whether a forgery under such a key verifies depends on the OpenSSL that Node links: the identity key accepts
    // R = base point, S = 1 for any message on Node 20 and 22, Node 24 refuses it. The agent does not depend on it.
  });
});
