import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SnapshotCollector, type SnapshotCollectorProps } from '../../../lib/collector';
import { Heapwatch } from '../../../lib/heapwatch';
import { clusterStack, FIXTURE_RULES_FILE, unacknowledgedNagErrors } from '../test-app';

const cdkContext = require('../../../cdk.json').context;
const ENV = { account: '123456789012', region: 'eu-west-1' };

function collectorStack(props: (stack: Stack) => Partial<SnapshotCollectorProps> = () => ({})) {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Collector', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const collector = new SnapshotCollector(stack, 'SnapshotCollector', {
    cluster: new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'prod' }),
    bucket: new s3.Bucket(stack, 'Snapshots', { enforceSSL: true }),
    signingKeySecret: new secretsmanager.Secret(stack, 'SigningKey'),
    alarmTopic: new sns.Topic(stack, 'Alarms'),
    ...props(stack),
  });
  return { app, stack, collector, template: Template.fromStack(stack) };
}

/** The statements of the default policy of the role whose logical ID starts with `rolePrefix`. */
function roleStatements(template: Template, rolePrefix: RegExp): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => rolePrefix.test(role.Ref)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function kmsStatements(template: Template, rolePrefix: RegExp) {
  return roleStatements(template, rolePrefix).filter((statement) => JSON.stringify(statement.Action).includes('kms:'));
}

const KEY_ARN = (logicalIdPrefix: string) => ({ 'Fn::GetAtt': [expect.stringMatching(`^${logicalIdPrefix}`), 'Arn'] });

describe('KMS grants of the collector', () => {
  test('the state machine and the analysis function may use the key of an encrypted report topic', () => {
    // Prepare + Act
    const { template } = collectorStack((stack) => ({
      reportTopic: new sns.Topic(stack, 'Reports', { masterKey: new kms.Key(stack, 'ReportKey') }),
    }));

    // Assess
    const expected = expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Effect: 'Allow',
      Resource: KEY_ARN('ReportKey'),
    });
    for (const role of [/^SnapshotCollectorSeriesRole/, /^SnapshotCollectorAnalyze/]) {
      expect(kmsStatements(template, role)).toEqual([expected]);
    }
    // The functions that do not publish get no key.
    expect(kmsStatements(template, /^SnapshotCollector(Trigger|Discover|Capture)/)).toEqual([]);
  });

  test('the capture and analysis functions may use the key of an SSE-KMS bucket', () => {
    // Prepare + Act
    const { template } = collectorStack((stack) => ({
      bucket: new s3.Bucket(stack, 'KmsSnapshots', {
        encryptionKey: new kms.Key(stack, 'BucketKey'),
        encryption: s3.BucketEncryption.KMS,
        enforceSSL: true,
      }),
    }));

    // Assess
    for (const role of [/^SnapshotCollectorCapture/, /^SnapshotCollectorAnalyze/]) {
      expect(kmsStatements(template, role)).toContainEqual(
        expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY_ARN('BucketKey') }),
      );
    }
  });

  test('writes no alias ARN into a policy: the default report topic (AWS managed key) needs no grant', () => {
    // Prepare + Act
    const { template } = collectorStack();

    // Assess
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/:alias\//);
    expect(policies).not.toContain('kms:');
  });

  test('an imported alias is granted through kms:ResourceAliases on the keys of its account, never by its ARN', () => {
    // Prepare + Act
    const { app, stack, template } = collectorStack((scope) => ({
      reportTopic: new sns.Topic(scope, 'Reports', {
        masterKey: kms.Alias.fromAliasName(scope, 'ReportAlias', 'alias/heapwatch-reports'),
      }),
    }));

    // Assess
    const expected = expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/heapwatch-reports' } },
    });
    expect(kmsStatements(template, /^SnapshotCollectorSeriesRole/)).toEqual([expected]);
    expect(kmsStatements(template, /^SnapshotCollectorAnalyze/)).toEqual([expected]);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/:alias\//);
    expect(unacknowledgedNagErrors(app, stack).filter((error) => error.includes('SnapshotCollector'))).toEqual([]);
  });

  test('an alias made in the app is granted on the key behind it', () => {
    // Prepare + Act
    const { template } = collectorStack((stack) => {
      const key = new kms.Key(stack, 'ReportKey');
      return { reportTopic: new sns.Topic(stack, 'Reports', { masterKey: key.addAlias('alias/reports') }) };
    });

    // Assess
    expect(kmsStatements(template, /^SnapshotCollectorAnalyze/)).toEqual([
      expect.objectContaining({ Resource: KEY_ARN('ReportKey') }),
    ]);
  });

  test('warns with the key policy statement when the report topic key is imported from another account', () => {
    // Prepare + Act
    const keyArn = 'arn:aws:kms:eu-west-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { stack, template } = collectorStack((scope) => ({
      reportTopic: sns.Topic.fromTopicAttributes(scope, 'Reports', {
        topicArn: 'arn:aws:sns:eu-west-1:999999999999:reports',
        keyArn,
      }),
    }));

    // Assess: the identity policy is there, and the key policy statement is asked for.
    expect(kmsStatements(template, /^SnapshotCollectorAnalyze/)).toEqual([
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn }),
    ]);
    const warnings = Annotations.fromStack(stack).findWarning(
      '/Collector/SnapshotCollector/Analyze/Resource',
      Match.stringLikeRegexp('cannot change the key policy of the imported KMS key'),
    );
    expect(warnings).toHaveLength(1);
    const message = String(warnings[0].entry.data);
    expect(message).toContain('[ack: @heapwatch/kms:key-policy]');
    expect(message).toContain(keyArn);
    const statement = JSON.parse(message.slice(message.indexOf('{'), message.lastIndexOf('}') + 1));
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Principal: { AWS: '<Arn of Collector/SnapshotCollector/Analyze/Resource/ServiceRole>' },
      Resource: '*',
    });
    Annotations.fromStack(stack).hasWarning(
      '/Collector/SnapshotCollector/Series/Resource',
      Match.stringLikeRegexp('@heapwatch/kms:key-policy'),
    );
  });
});

describe('KMS grants of a Heapwatch', () => {
  test('the state machine may use the topics key; no alias ARN in any policy; cdk-nag stays clean', () => {
    // Prepare
    const { app, stack, cluster } = clusterStack();

    // Act
    new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE });
    const template = Template.fromStack(stack);

    // Assess
    expect(kmsStatements(template, /^HeapwatchCollectorSeriesRole/)).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: KEY_ARN('HeapwatchTopicsKey'),
      }),
    ]);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/:alias\//);
    expect(unacknowledgedNagErrors(app, stack).filter((error) => error.includes(' at Test/Heapwatch/'))).toEqual([]);
  });
});
