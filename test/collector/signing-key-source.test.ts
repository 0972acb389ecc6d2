import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { publicKeyOf } from '@heapwatch/agent/protocol';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSigningKeySource, staticSigningKeySource } from '../../collector/signing-key-source';
import { STRANGER_KEYS, TEST_KEYS } from '../support/test-keys';

const smMock = mockClient(SecretsManagerClient);

describe('SecretsManagerSigningKeySource', () => {
  beforeEach(() => smMock.reset());

  test('reads the private key once, and again after invalidate (a rotation)', async () => {
    // Prepare
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: TEST_KEYS.privateKey })
      .resolves({ SecretString: STRANGER_KEYS.privateKey });
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), 'heapwatch/signing-key');

    // Act
    const first = await source.get();
    const cached = await source.get();
    source.invalidate();
    const reread = await source.get();

    // Assess
    expect([publicKeyOf(first), publicKeyOf(cached), publicKeyOf(reread)]).toEqual([
      TEST_KEYS.publicKey,
      TEST_KEYS.publicKey,
      STRANGER_KEYS.publicKey,
    ]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(smMock.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: 'heapwatch/signing-key',
    });
  });

  test('rejects a value that is not a private key without echoing it, and reads again next time', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: TEST_KEYS.publicKey });
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), 's');
    const failure = source.get();
    await expect(failure).rejects.toThrow(/secret s is not a DER PKCS8 private key/);
    await expect(failure).rejects.not.toThrow(TEST_KEYS.publicKey);
    await expect(source.get()).rejects.toThrow();
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('says when the secret no longer matches the public key the agents were given (changed outside heapwatch)', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: STRANGER_KEYS.privateKey });
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), 's', TEST_KEYS.publicKey);
    await expect(source.get()).rejects.toThrow(
      `secret s no longer holds the signing key whose public key the agents were given (${TEST_KEYS.publicKey}): it was changed outside heapwatch`,
    );
    smMock.on(GetSecretValueCommand).resolves({ SecretString: TEST_KEYS.privateKey });
    await expect(source.get()).resolves.toBeDefined();
  });

  test('rejects a binary secret, saying how to store the key', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), 's');
    await expect(source.get()).rejects.toThrow(/is binary: store the signing key as the plain-string base64/);
  });
});

describe('staticSigningKeySource', () => {
  test('checks the key at once, naming the variable', () => {
    expect(() => staticSigningKeySource('nonsense')).toThrow(/HEAPWATCH_PRIVATE_KEY is not a DER PKCS8 private key/);
    expect(() => staticSigningKeySource(TEST_KEYS.publicKey, 'HEAPWATCH_PRIVATE_KEY')).toThrow(/PKCS8/);
  });
});
