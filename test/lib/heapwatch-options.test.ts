import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Heapwatch } from '../../lib';
import { clusterStack, FIXTURE_RULES_FILE, plainService } from './test-app';

describe('Heapwatch with an existing AMP workspace', () => {
  it('adds its rules there, writes there, creates no workspace and warns about the alert manager', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    // Act
    const heapwatch = new Heapwatch(stack, 'Heapwatch', {
      cluster,
      rulesFile: FIXTURE_RULES_FILE,
      workspace: {
        workspaceId: 'ws-1234',
        workspaceArn: 'arn:aws:aps:eu-west-1:111122223333:workspace/ws-1234',
        prometheusEndpoint: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/',
      },
    });
    heapwatch.watch(plainService(stack, 'Api', cluster));
    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::APS::Workspace', 0);
    template.hasResourceProperties('AWS::APS::RuleGroupsNamespace', {
      Workspace: 'arn:aws:aps:eu-west-1:111122223333:workspace/ws-1234',
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'aps:RemoteWrite',
            Effect: 'Allow',
            Resource: 'arn:aws:aps:eu-west-1:111122223333:workspace/ws-1234',
          },
        ]),
      },
    });
    expect(JSON.stringify(template.toJSON())).toContain('workspaces/ws-1234/api/v1/remote_write');
    expect(heapwatch.alertManagerDefinition).toContain('alertmanager_config');
    Annotations.fromStack(stack).hasWarning(
      '/Test/Heapwatch/Prometheus',
      Match.stringLikeRegexp('merge Heapwatch.alertManagerDefinition'),
    );
  });
});

describe('Heapwatch IAM', () => {
  let template: Template;

  beforeAll(() => {
    const { stack, cluster } = clusterStack();
    const heapwatch = new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE });
    heapwatch.watch(plainService(stack, 'Api', cluster));
    template = Template.fromStack(stack);
  });

  it('gives the scraper discovery of its own cluster and remote write to its own workspace, nothing more', () => {
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^HeapwatchScraperTaskDefinitionTaskRole') }] },
      }),
    );
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Sid?: string }>;
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'aps:RemoteWrite',
      'ec2:DescribeNetworkInterfaces',
      'ecs:DescribeClusters',
      'ecs:DescribeServices',
      'ecs:DescribeTasks',
      'ecs:ListServices',
      'ecs:ListTasks',
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['ecs:ListServices', 'ecs:ListTasks'],
            Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] } } },
          }),
          {
            Action: 'aps:RemoteWrite',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HeapwatchPrometheus'), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('uses no wildcard action in any policy: scraper, collector, topics and key', () => {
    const documents = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).map((policy) => policy.Properties.PolicyDocument),
      ...Object.values(template.findResources('AWS::KMS::Key')).map((key) => key.Properties.KeyPolicy),
      ...Object.values(template.findResources('AWS::SNS::TopicPolicy')).map(
        (policy) => policy.Properties.PolicyDocument,
      ),
    ];
    const allowedActions = documents
      .flatMap(
        (document) => document.Statement as Array<{ Effect: string; Action: string | string[]; Principal?: unknown }>,
      )
      .filter((statement) => statement.Effect === 'Allow')
      // The key policy's account-root statement (kms:*) is the CDK default that keeps the key manageable.
      .filter((statement) => JSON.stringify(statement.Principal ?? '').indexOf(':root') === -1)
      .flatMap((statement) => [statement.Action].flat());
    expect(allowedActions.filter((action) => action.includes('*'))).toEqual([]);
  });

  it('runs the Prometheus agent in agent mode from the official image, configured through its environment', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'prometheus',
          Image: 'prom/prometheus:v3.8.0',
          EntryPoint: ['/bin/sh', '-c'],
          Command: [Match.stringLikeRegexp('exec /bin/prometheus --agent --config.file=')],
          Environment: [{ Name: 'HEAPWATCH_PROMETHEUS_CONFIG', Value: Match.anyValue() }],
        }),
      ],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      TaskDefinition: { Ref: Match.stringLikeRegexp('^HeapwatchScraperTaskDefinition') },
    });
  });
});

describe('Heapwatch grants and given topics', () => {
  it('grants snapshot reading and token signing to a role, and uses the alarm topic it is given', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const alarmTopic = new sns.Topic(stack, 'TeamAlarms');
    const engineer = new iam.Role(stack, 'Engineer', { assumedBy: new iam.AccountRootPrincipal() });
    // Act
    const heapwatch = new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE, alarmTopic });
    heapwatch.grantSnapshotRead(engineer);
    heapwatch.grantTokenSigning(engineer);
    // Assess
    const template = Template.fromStack(stack);
    expect(heapwatch.alarmTopic).toBe(alarmTopic);
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('^TeamAlarms') },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Engineer') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:GetObject*']),
            Resource: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^HeapwatchSnapshots'), 'Arn'] }]),
          }),
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: Match.stringLikeRegexp('^HeapwatchSigningKeysinitial') },
          }),
        ]),
      },
    });
  });
});
