import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SigningKey } from '../../../lib/storage';

const cdkContext = require('../../../cdk.json').context;

function keyStack(bundle = false) {
  const app = new App({ context: { ...cdkContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) } });
  const stack = new Stack(app, 'Keys');
  const key = new SigningKey(stack, 'Key');
  return { app, stack, key };
}

describe('SigningKey', () => {
  it('is a secret filled at deploy time by a custom resource that returns the public key', () => {
    // Prepare
    const { stack, key } = keyStack();
    // Act
    const template = Template.fromStack(stack);
    // Assess
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('^heapwatch Ed25519 private key \\(Keys/Key\\)'),
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 32 },
    });
    template.hasResourceProperties('Custom::HeapwatchSigningKey', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeyProviderframeworkonEvent'), 'Arn'] },
      SecretArn: { Ref: Match.stringLikeRegexp('^Key[0-9A-F]{8}$') },
    });
    expect(stack.resolve(key.publicKey)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^KeyKeyPair/), 'PublicKey'],
    });
    expect(stack.resolve(key.secret.secretArn)).toEqual({ Ref: expect.stringMatching(/^Key[0-9A-F]{8}$/) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Description: Match.stringLikeRegexp('generates a signing key pair'),
    });
  });

  it('lets its function write that one secret and nothing else; no role may read it unless granted', () => {
    // Prepare
    const { stack } = keyStack();
    // Act
    const template = Template.fromStack(stack);
    // Assess
    const secretStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown }>)
        .filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'))
        .map((statement) => ({ roles: policy.Properties.Roles, statement })),
    );
    expect(secretStatements).toEqual([
      {
        roles: [{ Ref: expect.stringMatching(/^KeyWriterServiceRole/) }],
        statement: {
          Action: 'secretsmanager:PutSecretValue',
          Effect: 'Allow',
          Resource: { Ref: expect.stringMatching(/^Key[0-9A-F]{8}$/) },
        },
      },
    ]);
  });

  it('grants signing as read of its secret', () => {
    // Prepare
    const { stack, key } = keyStack();
    const role = new iam.Role(stack, 'Signer', { assumedBy: new iam.AccountRootPrincipal() });
    // Act
    key.grantSigning(role);
    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Signer') }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Effect: 'Allow',
            Resource: { Ref: Match.stringLikeRegexp('^Key[0-9A-F]{8}$') },
          },
        ],
      },
    });
  });

  it('passes cdk-nag AwsSolutions with only its acknowledgements', () => {
    // Prepare
    const { app, stack } = keyStack();
    // Act
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    // Assess
    expect(
      report.violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
      ),
    ).toEqual([]);
  });

  it('bundles its handler with the local esbuild', () => {
    // Prepare + Act
    const { stack } = keyStack(true);
    // Assess
    const handlers = Object.values(
      Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }),
    );
    expect(handlers).toHaveLength(1);
    expect(typeof handlers[0].Properties.Code.S3Key).toBe('string');
  });
});
