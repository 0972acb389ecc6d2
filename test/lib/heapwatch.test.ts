import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Heapwatch } from '../../lib';
import { albService, clusterStack, plainService, unacknowledgedNagErrors } from './test-app';

describe('Heapwatch', () => {
  let template: Template;
  let heapwatch: Heapwatch;
  let nagErrors: string[];

  beforeAll(() => {
    // Prepare
    const { app, stack, cluster } = clusterStack();
    heapwatch = new Heapwatch(stack, 'Heapwatch', {
      cluster,
      snapshotRetention: Duration.days(7),
    });
    // Act
    heapwatch.watch(albService(stack, 'Web', cluster).service);
    heapwatch.watch(plainService(stack, 'Worker', cluster), { adminPort: 9500 });
    template = Template.fromStack(stack);
    nagErrors = unacknowledgedNagErrors(app, stack);
  });

  it('adds no unacknowledged cdk-nag AwsSolutions error of its own', () => {
    expect(nagErrors.filter((error) => error.includes(' at Test/Heapwatch/'))).toEqual([]);
  });

  it('creates a private, encrypted snapshot bucket that expires snapshots and aborts stale uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ ExpirationInDays: 7, Status: 'Enabled' }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
  });

  it('denies every request to the snapshot bucket that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Principal: { AWS: '*' },
          }),
        ]),
      },
    });
  });

  it('creates one signing key, generated at deploy time: no key material in the template', () => {
    template.resourceCountIs('Custom::HeapwatchSigningKey', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('Custom::HeapwatchSigningKey', {
      SecretArn: { Ref: Match.stringLikeRegexp('^HeapwatchSigningKeysinitial') },
    });
    const text = JSON.stringify(template.toJSON());
    // MC4CAQAwBQYDK2Vw: how the standard base64 of every Ed25519 private key in DER PKCS8 begins.
    expect(text).not.toContain('MC4CAQAwBQYDK2Vw');
    expect(text).not.toMatch(/"SecretString"/);
    // Outputs hold only what ecs_patterns adds for the web service, no key.
    expect(JSON.stringify(template.findOutputs('*'))).not.toMatch(/SigningKey|Secret/);
  });

  it('creates one workspace with the rules and an alert manager that publishes to the alarm topic', () => {
    template.resourceCountIs('AWS::APS::Workspace', 1);
    const workspace = Object.values(template.findResources('AWS::APS::Workspace'))[0];
    const definition = JSON.stringify(workspace.Properties.AlertManagerDefinition);
    expect(definition).toContain('sns_configs');
    expect(definition).toContain('sigv4');
    expect(definition).toContain('subject');
    expect(definition).toContain('attributes');
    expect(definition).toMatch(/topic_arn: ","?\{"Ref":"HeapwatchTopicsAlarms/);
    template.hasResourceProperties('AWS::APS::RuleGroupsNamespace', {
      Name: 'heapwatch',
      Data: Match.stringLikeRegexp('alert: HeapwatchLeakSuspected'),
      Workspace: { 'Fn::GetAtt': [Match.stringLikeRegexp('HeapwatchPrometheus'), 'Arn'] },
    });
  });

  it('lets only its own workspace in this account publish to the alarm topic', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'aps.amazonaws.com' },
            Action: ['sns:GetTopicAttributes', 'sns:Publish'],
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('HeapwatchPrometheus'), 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('encrypts both topics with a rotated key', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('shares one scraper, one collector and one workspace between two watched services', () => {
    template.resourceCountIs('AWS::APS::Workspace', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const prometheusTasks = template.findResources('AWS::ECS::TaskDefinition', {
      Properties: { ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'prometheus' })]) },
    });
    expect(Object.keys(prometheusTasks)).toHaveLength(1);
    template.resourceCountIs('AWS::ECS::Service', 3);
  });

  it('subscribes the collector to the alarm topic and gives it the heapwatch bucket, signing key and report topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('^HeapwatchTopicsAlarms') },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HeapwatchCollectorTrigger'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HEAPWATCH_BUCKET: { Ref: Match.stringLikeRegexp('^HeapwatchSnapshots') },
          HEAPWATCH_PRIVATE_KEY_ARN: { Ref: Match.stringLikeRegexp('^HeapwatchSigningKeysinitial') },
          HEAPWATCH_SIGNING_PUBLIC_KEY: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^HeapwatchSigningKeysinitialKeyPair'), 'PublicKey'],
          },
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HEAPWATCH_REPORT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^HeapwatchTopicsReports') },
        }),
      },
    });
    expect(heapwatch.stateMachine).toBe(heapwatch.collector.stateMachine);
    expect(heapwatch.workspace).toBe(heapwatch.prometheus.workspace);
    expect(heapwatch.workspace).toBeDefined();
    expect(Object.keys(heapwatch.functions).sort()).toEqual(['analyze', 'capture', 'discover', 'trigger']);
  });
});
