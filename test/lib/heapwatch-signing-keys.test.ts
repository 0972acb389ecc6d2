import { Lazy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Heapwatch, type SigningKeyNames } from '../../lib';
import { clusterStack, FIXTURE_RULES_FILE, plainService, unacknowledgedNagErrors } from './test-app';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** What one deploy of a rotation looks like: keys, what the agents accept, what the collector and on-call sign with. */
function stage(signingKeys?: SigningKeyNames) {
  const { app, stack, cluster } = clusterStack();
  const heapwatch = new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE, signingKeys });
  heapwatch.watch(plainService(stack, 'Api', cluster));
  heapwatch.grantTokenSigning(new iam.Role(stack, 'Engineer', { assumedBy: new iam.AccountRootPrincipal() }));
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Resources;
  const ofType = (type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')).filter((resource) =>
    JSON.stringify(resource).includes('HEAPWATCH_ADMIN_PORT'),
  );
  const environment = taskDefinition.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string }>;
  const [capture] = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: 'heapwatch: capture one heap snapshot of a task into S3' },
    }),
  );
  /** The secrets a role may read, by logical id. */
  const secretsReadBy = (rolePrefix: string) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref.startsWith(rolePrefix)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
      .filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue'))
      .map((statement) => (statement.Resource as { Ref: string }).Ref);
  return {
    app,
    stack,
    heapwatch,
    keyPairs: ofType('Custom::HeapwatchSigningKey').sort(),
    secrets: ofType('AWS::SecretsManager::Secret').sort(),
    publicKeysEnv: environment.find((variable) => variable.Name === 'HEAPWATCH_PUBLIC_KEYS'),
    privateKeyArn: capture.Properties.Environment.Variables.HEAPWATCH_PRIVATE_KEY_ARN as { Ref: string },
    captureReads: secretsReadBy('HeapwatchCollectorCapture'),
    engineerReads: secretsReadBy('Engineer'),
  };
}

const keyPairOf = (ids: string[], name: string) =>
  ids.find((id) => id.startsWith(`HeapwatchSigningKeys${name}KeyPair`));
const secretOf = (ids: string[], name: string) =>
  ids.find((id) => new RegExp(`^HeapwatchSigningKeys${name}[0-9A-F]{8}$`).test(id));
const publicKeyOf = (keyPair?: string) => ({ 'Fn::GetAtt': [keyPair, 'PublicKey'] });

describe('Heapwatch signing keys, through the three deploys of a rotation', () => {
  const initial = stage();
  const accept = stage({ current: 'initial', alsoAccepted: ['2025-07'] });
  const sign = stage({ current: '2025-07', alsoAccepted: ['initial'] });
  const retire = stage({ current: '2025-07' });

  it('starts with one key named initial, accepted by the agents and signing for the collector and on-call', () => {
    expect(initial.keyPairs).toHaveLength(1);
    expect(initial.secrets).toHaveLength(1);
    const secret = secretOf(initial.secrets, 'initial');
    expect(secret).toBeDefined();
    expect(initial.publicKeysEnv).toEqual({
      Name: 'HEAPWATCH_PUBLIC_KEYS',
      Value: publicKeyOf(keyPairOf(initial.keyPairs, 'initial')),
    });
    expect(initial.privateKeyArn).toEqual({ Ref: secret });
    expect(initial.captureReads).toEqual([secret]);
    expect(initial.engineerReads).toEqual([secret]);
    expect(initial.heapwatch.publicKeys).toHaveLength(1);
  });

  it('1: a new key in alsoAccepted is accepted by the agents (ordered by name); the collector still signs with the old', () => {
    expect(accept.keyPairs).toHaveLength(2);
    expect(accept.secrets).toHaveLength(2);
    expect(accept.publicKeysEnv).toEqual({
      Name: 'HEAPWATCH_PUBLIC_KEYS',
      Value: {
        'Fn::Join': [
          ',',
          [publicKeyOf(keyPairOf(accept.keyPairs, '202507')), publicKeyOf(keyPairOf(accept.keyPairs, 'initial'))],
        ],
      },
    });
    const oldSecret = secretOf(accept.secrets, 'initial');
    expect(accept.privateKeyArn).toEqual({ Ref: oldSecret });
    expect(accept.captureReads).toEqual([oldSecret]);
    expect(accept.engineerReads).toEqual([oldSecret]);
    // The old key is the same resource as before: its pair is kept.
    expect(keyPairOf(accept.keyPairs, 'initial')).toBe(keyPairOf(initial.keyPairs, 'initial'));
    expect(oldSecret).toBe(secretOf(initial.secrets, 'initial'));
  });

  it('2: the new key made current signs for the collector and on-call; the agents’ environment is unchanged', () => {
    expect(sign.keyPairs).toEqual(accept.keyPairs);
    expect(sign.secrets).toEqual(accept.secrets);
    expect(sign.publicKeysEnv).toEqual(accept.publicKeysEnv);
    const newSecret = secretOf(sign.secrets, '202507');
    expect(sign.privateKeyArn).toEqual({ Ref: newSecret });
    expect(sign.captureReads).toEqual([newSecret]);
    expect(sign.engineerReads).toEqual([newSecret]);
  });

  it('3: the old name dropped, only the new key is left, the same pair as in deploys 1 and 2', () => {
    expect(retire.keyPairs).toEqual([keyPairOf(accept.keyPairs, '202507')]);
    expect(retire.secrets).toEqual([secretOf(accept.secrets, '202507')]);
    expect(retire.publicKeysEnv).toEqual({
      Name: 'HEAPWATCH_PUBLIC_KEYS',
      Value: publicKeyOf(keyPairOf(accept.keyPairs, '202507')),
    });
    expect(retire.privateKeyArn).toEqual({ Ref: secretOf(accept.secrets, '202507') });
  });

  it('adds no unacknowledged cdk-nag error with two keys', () => {
    const errors = unacknowledgedNagErrors(accept.app, accept.stack);
    expect(errors.filter((error) => error.includes(' at Test/Heapwatch/'))).toEqual([]);
  });

  it('never writes key material into any template', () => {
    for (const { stack } of [initial, accept, sign, retire]) {
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('MC4CAQAwBQYDK2Vw');
    }
  });
});

describe('Heapwatch signingKeys validation', () => {
  function build(signingKeys: SigningKeyNames) {
    const { stack, cluster } = clusterStack();
    return () => new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE, signingKeys });
  }

  it.each([
    [{ current: 'my key' }, /signingKeys.current: "my key" is not a key name. Use 1 to 32 letters, digits and hyphens/],
    [{ current: '' }, /signingKeys.current: "" is not a key name/],
    [{ current: 'k'.repeat(33) }, /signingKeys.current: "k{33}" is not a key name/],
    [{ current: 'k1', alsoAccepted: ['k2', 'k_3'] }, /signingKeys.alsoAccepted\[1\]: "k_3" is not a key name/],
    [{ current: 'k1', alsoAccepted: ['k1'] }, /signingKeys.alsoAccepted: 'k1' is already signingKeys.current/],
    [{ current: 'k1', alsoAccepted: ['k2', 'k2'] }, /signingKeys.alsoAccepted: 'k2' is listed twice/],
  ])('rejects %p', (signingKeys, message) => {
    expect(build(signingKeys)).toThrow(message);
  });

  it('rejects a name that is a token: it must name the construct that keeps the pair', () => {
    expect(build({ current: Lazy.string({ produce: () => 'k1' }) })).toThrow(
      /signingKeys.current: .* is a token. A key name must be a literal string/,
    );
  });
});
