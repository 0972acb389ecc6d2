import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parsePrivateKey, parsePublicKey, publicKeyOf } from '@heapwatch/agent/protocol';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../lambda/signing-key';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:HeapwatchSigningKeysinitial-AbCdEf';
const OTHER_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:HeapwatchSigningKeysinitial-GhIjKl';
const secretsManagerMock = mockClient(SecretsManagerClient);

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  secretArn: string,
  extra: { physicalResourceId?: string; oldSecretArn?: string } = {},
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:framework',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Test/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SigningKey',
    ResourceType: 'Custom::HeapwatchSigningKey',
    ResourceProperties: { ServiceToken: 'framework', SecretArn: secretArn },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  const physical = { PhysicalResourceId: extra.physicalResourceId ?? 'unset' };
  if (requestType === 'Delete') return { ...common, ...physical, RequestType: 'Delete' };
  return {
    ...common,
    ...physical,
    RequestType: 'Update',
    OldResourceProperties: { ServiceToken: 'framework', SecretArn: extra.oldSecretArn ?? secretArn },
  };
}

/** What the handler wrote to Secrets Manager, by secret. */
function writtenKeys(): Array<{ secretId?: string; value?: string }> {
  return secretsManagerMock
    .commandCalls(PutSecretValueCommand)
    .map((call) => ({ secretId: call.args[0].input.SecretId, value: call.args[0].input.SecretString }));
}

/** Records everything written to stdout, stderr or the console (the logger writes to stdout) until restored. */
function captureOutput(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const record = (...args: unknown[]) => {
    chunks.push(args.map(String).join(' '));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation(record),
    ),
  ];
  const restore = () => {
    for (const spy of spies) spy.mockRestore();
  };
  return { text: () => chunks.join('\n'), restore };
}

describe('signing-key custom resource handler', () => {
  const handler = createHandler({ secretsManager: new SecretsManagerClient({}) });

  let output: ReturnType<typeof captureOutput>;

  beforeEach(() => {
    secretsManagerMock.reset();
    secretsManagerMock.on(PutSecretValueCommand).resolves({ ARN: SECRET_ARN, VersionId: 'v1' });
    output = captureOutput();
  });
  afterEach(() => {
    output.restore();
  });

  it('creates a pair: the private key into the secret, the matching public key as id and PublicKey', async () => {
    // Act
    const result = await handler(event('Create', SECRET_ARN));
    // Assess
    const [written] = writtenKeys();
    expect(writtenKeys()).toHaveLength(1);
    expect(written.secretId).toBe(SECRET_ARN);
    const privateKey = parsePrivateKey(written.value ?? '', 'SecretString');
    const publicKey = publicKeyOf(privateKey);
    expect(result).toEqual({ PhysicalResourceId: publicKey, Data: { PublicKey: publicKey } });
    expect(parsePublicKey(publicKey, 'PublicKey').asymmetricKeyType).toBe('ed25519');
    expect(JSON.stringify(result)).not.toContain(written.value);
    // The log says what happened (so the capture works) and never holds the private key.
    expect(output.text()).toContain(publicKey);
    expect(output.text()).not.toContain(written.value);
    expect(output.text()).not.toContain(written.value?.slice(-32));
  });

  it('keeps the pair on an update of the same secret: no new pair, nothing written', async () => {
    // Prepare
    const created = await handler(event('Create', SECRET_ARN));
    secretsManagerMock.resetHistory();
    // Act
    const updated = await handler(
      event('Update', SECRET_ARN, { physicalResourceId: created.PhysicalResourceId, oldSecretArn: SECRET_ARN }),
    );
    // Assess
    expect(writtenKeys()).toEqual([]);
    expect(updated).toEqual(created);
  });

  it('makes a new pair when the secret is replaced, written into the new secret', async () => {
    // Prepare
    const created = await handler(event('Create', SECRET_ARN));
    secretsManagerMock.resetHistory();
    // Act
    const replaced = await handler(
      event('Update', OTHER_SECRET_ARN, { physicalResourceId: created.PhysicalResourceId, oldSecretArn: SECRET_ARN }),
    );
    // Assess
    const [written] = writtenKeys();
    expect(writtenKeys()).toHaveLength(1);
    expect(written.secretId).toBe(OTHER_SECRET_ARN);
    expect(replaced.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
    expect(replaced).toEqual({
      PhysicalResourceId: publicKeyOf(parsePrivateKey(written.value ?? '')),
      Data: { PublicKey: replaced.PhysicalResourceId },
    });
  });

  it('does nothing on delete: the secret is deleted as a resource of its own', async () => {
    // Act
    const deleted = await handler(event('Delete', SECRET_ARN, { physicalResourceId: 'MCowBQYDK2VwAyEAkey' }));
    // Assess
    expect(writtenKeys()).toEqual([]);
    expect(deleted).toEqual({ PhysicalResourceId: 'MCowBQYDK2VwAyEAkey' });
  });

  it('fails without logging the private key when the secret cannot be written', async () => {
    // Prepare
    let attempted = '';
    secretsManagerMock.on(PutSecretValueCommand).callsFake((input: { SecretString?: string }) => {
      attempted = input.SecretString ?? '';
      throw new Error('User is not authorized to perform: secretsmanager:PutSecretValue');
    });
    // Act
    const failure = handler(event('Create', SECRET_ARN));
    // Assess
    await expect(failure).rejects.toThrow(/not authorized/);
    expect(attempted).toMatch(/^MC4CAQAwBQYDK2Vw/);
    expect(output.text()).toContain('signing key');
    expect(output.text()).not.toContain(attempted);
    expect(output.text()).not.toContain(attempted.slice(-32));
  });

  it('rejects an event without SecretArn, naming the property', async () => {
    // Prepare
    const bad = { ...event('Create', SECRET_ARN), ResourceProperties: { ServiceToken: 'framework' } };
    // Act + Assess
    await expect(handler(bad as CloudFormationCustomResourceEvent)).rejects.toThrow(/SecretArn: undefined/);
    expect(writtenKeys()).toEqual([]);
  });
});
