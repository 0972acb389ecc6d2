import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSecretSource, staticSecretSource } from '../../collector/secret-source';

const smMock = mockClient(SecretsManagerClient);
const CURRENT = 'current-secret-0123456789abcdef0123';
const PREVIOUS = 'previous-secret-0123456789abcdef012';

describe('SecretsManagerSecretSource', () => {
  beforeEach(() => smMock.reset());

  test('reads AWSCURRENT and AWSPREVIOUS once and caches them until invalidated', async () => {
    // Prepare
    smMock
      .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: CURRENT })
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .resolves({ SecretString: PREVIOUS });
    const source = new SecretsManagerSecretSource(new SecretsManagerClient({}), 'heapwatch/snapshot');

    // Act
    const first = await source.get();
    await source.get();
    source.invalidate();
    await source.get();

    // Assess
    expect(first).toEqual({ current: CURRENT, previous: PREVIOUS });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(4);
    expect(smMock.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: 'heapwatch/snapshot',
      VersionStage: 'AWSCURRENT',
    });
  });

  test('works without a previous version (never rotated)', async () => {
    smMock
      .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: CURRENT })
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .rejects(new ResourceNotFoundException({ message: 'no AWSPREVIOUS', $metadata: {} }));
    const source = new SecretsManagerSecretSource(new SecretsManagerClient({}), 's');
    expect(await source.get()).toEqual({ current: CURRENT });
  });

  test('rejects a secret too short to sign with, and retries the read next time', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    const source = new SecretsManagerSecretSource(new SecretsManagerClient({}), 's');
    await expect(source.get()).rejects.toThrow(/secret s \(AWSCURRENT\) is 5 bytes; it must be at least 32 bytes/);
    await expect(source.get()).rejects.toThrow(/5 bytes/);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});

describe('staticSecretSource', () => {
  test('validates both secrets', () => {
    expect(() => staticSecretSource({ current: CURRENT, previous: 'x' })).toThrow(/the previous secret is 1 bytes/);
  });
});
