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
});
