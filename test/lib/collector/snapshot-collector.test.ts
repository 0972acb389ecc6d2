import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SnapshotCollector, type SnapshotCollectorProps } from '../../../lib/collector';

const cdkContext = require('../../../cdk.json').context;

function collectorStack(props: Partial<SnapshotCollectorProps> = {}, bundle = false) {
  const app = new App({ context: { ...cdkContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) } });
  const stack = new Stack(app, 'Collector', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'prod' });
  const bucket = new s3.Bucket(stack, 'Snapshots', { enforceSSL: true });
  const signingKeySecret = new secretsmanager.Secret(stack, 'SigningKey');
  const alarmTopic = new sns.Topic(stack, 'Alarms');
  const collector = new SnapshotCollector(stack, 'SnapshotCollector', {
    cluster,
    bucket,
    signingKeySecret,
    alarmTopic,
    ...props,
  });
  return { app, stack, vpc, cluster, bucket, signingKeySecret, alarmTopic, collector };
}

describe('SnapshotCollector', () => {
  test('four Node.js 24 functions in the private subnets, the trigger subscribed to the alarm topic', () => {
    // Prepare
    const { stack } = collectorStack();

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('VpcPrivateSubnet1') }]) },
      },
      4,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('diff a snapshot series'),
      MemorySize: 10240,
      EphemeralStorage: { Size: 10240 },
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          HEAPWATCH_MAX_ANALYSIS_BYTES: String(2 * 1024 ** 3),
          NODE_OPTIONS: '--max-old-space-size=8192',
        }),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('Alarms') },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('SnapshotCollectorTrigger'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('the state machine waits between captures in a Wait state and always ends in the analysis', () => {
    // Prepare
    const { stack } = collectorStack();

    // Act
    const definition = JSON.stringify(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'));

    // Assess
    expect(definition).toContain('\\"Type\\":\\"Wait\\",\\"SecondsPath\\":\\"$.intervalSeconds\\"');
    expect(definition).toContain('\\"NumericLessThanPath\\":\\"$.count\\"');
    expect(definition).toMatch(
      /\\"Catch\\":\[\{\\"ErrorEquals\\":\[\\"States.ALL\\"\],\\"ResultPath\\":\\"\$.failure\\",\\"Next\\":\\"AnalyzeSeries\\"/,
    );
    expect(definition).toContain('\\"Type\\":\\"Fail\\",\\"ErrorPath\\":\\"$.failure.Error\\"');
    expect(definition).toMatch(/\\"ResultPath\\":\\"\$.analysisFailure\\",\\"Next\\":\\"PublishAnalysisFailure\\"/);
    expect(definition).toContain(':states:::sns:publish');
  });

  test('least privilege: ECS scoped to the cluster, objects to its prefix, the signing key’s secret, the own state machine', () => {
    // Prepare
    const { stack } = collectorStack();

    // Act
    const template = Template.fromStack(stack);
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ecs:ListTasks',
            Resource: '*',
            Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [Match.stringLikeRegexp('Cluster'), 'Arn'] } } },
          }),
          {
            Action: 'secretsmanager:GetSecretValue',
            Effect: 'Allow',
            Resource: { Ref: Match.stringLikeRegexp('^SigningKey') },
          },
        ]),
      },
    });
    expect(policies).toMatch(/"Action":"ecs:DescribeTasks".*?:task\//);
    expect(policies).toContain('states:StartExecution');
    expect(policies).toContain('states:ListExecutions');
    expect(policies).toContain('states:StopExecution');
    expect(policies).toContain('sns:Publish');
    expect(policies).toMatch(/"Arn"\]\},"\/",\{"Ref":"Cluster[0-9A-F]+"\},"\/\*"/);
    expect(policies).not.toMatch(/"s3:\*"|"ecs:\*"|"states:\*"/);
  });

  test('no role may list the bucket: other clusters’ keys stay out of sight', () => {
    // Prepare
    const { stack } = collectorStack();

    // Act
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));

    // Assess
    expect(policies).toContain('s3:PutObject');
    expect(policies).not.toContain('s3:ListBucket');
  });

  test('series too big for Lambda go to an arm64 Fargate task with 200 GiB of storage, whose image holds the analysis', () => {
    // Prepare
    const { stack, app } = collectorStack({}, true);

    // Act
    const template = Template.fromStack(stack);
    const assembly = app.synth();

    // Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      EphemeralStorage: { SizeInGiB: 200 },
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'analysis',
          Environment: Match.arrayWith([
            { Name: 'HEAPWATCH_BUCKET', Value: { Ref: Match.stringLikeRegexp('^Snapshots') } },
            { Name: 'HEAPWATCH_REPORT_TOPIC_ARN', Value: { Ref: Match.stringLikeRegexp('ReportTopic') } },
          ]),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('diff a snapshot series'),
      Environment: { Variables: Match.objectLike({ HEAPWATCH_FARGATE_ANALYSIS: 'enabled' }) },
    });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain(':states:::ecs:runTask.sync');
    // The state machine may run the task and pass its two roles to ECS, nothing more.
    const [seriesPolicy] = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([logicalId]) => logicalId.startsWith('SnapshotCollectorSeriesRole'))
      .map(([, policy]) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]);
    expect(seriesPolicy.find((statement) => statement.Action === 'ecs:RunTask')).toBeDefined();
    const passed = seriesPolicy.find((statement) => statement.Action === 'iam:PassRole')?.Resource as unknown[];
    expect(passed).toHaveLength(2);
    expect(passed).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [expect.stringMatching(/^SnapshotCollectorAnalysisTaskTaskRole/), 'Arn'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^SnapshotCollectorAnalysisTaskExecutionRole/), 'Arn'] },
      ]),
    );
    const images = readdirSync(assembly.directory).filter((entry) =>
      existsSync(join(assembly.directory, entry, 'Dockerfile')),
    );
    expect(images).toHaveLength(1);
    const dockerfile = readFileSync(join(assembly.directory, images[0], 'Dockerfile'), 'utf8');
    expect(readFileSync(join(assembly.directory, images[0], 'index.js'), 'utf8')).toContain(
      'HEAPWATCH_SERIES_INPUT_KEY',
    );
    expect(dockerfile).toMatch(/^FROM public\.ecr\.aws\/docker\/library\/node:24/m);
    expect(dockerfile).not.toMatch(/^RUN /m);
  });

  test('fargateAnalysis: false leaves out the task, its image and its step (no Docker needed to deploy)', () => {
    // Prepare
    const { stack, collector } = collectorStack({ fargateAnalysis: false });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    expect(collector.analysisTask).toBeUndefined();
    template.resourceCountIs('AWS::ECS::TaskDefinition', 0);
    expect(JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'))).not.toContain('ecs:runTask');
    const analyze = Object.values(template.findResources('AWS::Lambda::Function')).find((fn) =>
      JSON.stringify(fn).includes('diff a snapshot series'),
    );
    expect(JSON.stringify(analyze)).not.toContain('HEAPWATCH_FARGATE_ANALYSIS');
  });

  test('the analysis task has a security group of its own, HTTPS out only', () => {
    // Prepare
    const { stack, collector } = collectorStack();

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const group = stack.resolve(collector.analysisTask?.securityGroup.securityGroupId);
    expect(group).not.toEqual(stack.resolve(collector.connections.securityGroups[0].securityGroupId));
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('analysis task'),
      SecurityGroupEgress: [Match.objectLike({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the capture function alone reads the signing key’s secret, named by HEAPWATCH_PRIVATE_KEY_ARN', () => {
    // Prepare
    const { stack } = collectorStack();

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('capture one heap snapshot'),
      Environment: {
        Variables: Match.objectLike({ HEAPWATCH_PRIVATE_KEY_ARN: { Ref: Match.stringLikeRegexp('^SigningKey') } }),
      },
    });
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy).includes('secretsmanager:'))
      .map((policy) => policy.Properties.Roles[0].Ref as string);
    expect(readers).toEqual([expect.stringMatching(/^SnapshotCollectorCapture/)]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/HEAPWATCH_SECRET/);
  });

  test('reads watched services from their tags, not from references to them, and services open their admin port to it', () => {
    // Prepare
    const { stack, vpc, collector } = collectorStack({ snapshotCount: 4, snapshotInterval: Duration.minutes(2) });
    const serviceGroup = new ec2.SecurityGroup(stack, 'ServiceGroup', { vpc });

    // Act
    serviceGroup.connections.allowFrom(collector, ec2.Port.tcp(9464));
    const template = Template.fromStack(stack);

    // Assess: no service list in the functions' configuration; the discovery may read the cluster's services' tags
    const variables = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) =>
      Object.keys(fn.Properties.Environment?.Variables ?? {}),
    );
    expect(variables.flat()).not.toContain('HEAPWATCH_ADMIN_PORTS');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ecs:DescribeServices',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':service/'), Match.stringLikeRegexp('/\\*$')])],
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ HEAPWATCH_SNAPSHOT_COUNT: '4', HEAPWATCH_SNAPSHOT_INTERVAL_SECONDS: '120' }),
      },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9464,
      ToPort: 9464,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SnapshotCollectorSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 9464, ToPort: 9464 });
  });

  test.each([
    [{ snapshotCount: 1 }, /snapshotCount 1 is invalid: a diff needs 2 to 10 snapshots/],
    [{ snapshotCount: 2.5 }, /snapshotCount 2.5 is invalid/],
    [{ snapshotInterval: Duration.hours(4) }, /snapshotInterval 4 hours is invalid: use at most 3 hours/],
    [{ snapshotCount: 10, snapshotInterval: Duration.hours(3) }, /10 snapshots 3 hours apart take more than 20 hours/],
  ])('rejects %p', (props, message) => {
    expect(() => collectorStack(props)).toThrow(message);
  });

  test('runs in isolated subnets with a warning about VPC endpoints, and refuses a VPC without private subnets', () => {
    // Prepare
    const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Isolated');
    const common = {
      bucket: new s3.Bucket(stack, 'Snapshots'),
      signingKeySecret: new secretsmanager.Secret(stack, 'SigningKey'),
      alarmTopic: new sns.Topic(stack, 'Alarms'),
    };
    const isolated = new ec2.Vpc(stack, 'IsolatedVpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const publicOnly = new ec2.Vpc(stack, 'PublicVpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });

    // Act
    new SnapshotCollector(stack, 'InIsolated', { ...common, cluster: new ecs.Cluster(stack, 'A', { vpc: isolated }) });
    const inPublic = () =>
      new SnapshotCollector(stack, 'InPublic', {
        ...common,
        cluster: new ecs.Cluster(stack, 'B', { vpc: publicOnly }),
      });

    // Assess
    Annotations.fromStack(stack).hasWarning(
      '/Isolated/InIsolated',
      Match.stringLikeRegexp('only through VPC endpoints'),
    );
    expect(inPublic).toThrow(/The cluster VPC has no private subnets/);
  });

  test('passes cdk-nag AwsSolutions with only the documented acknowledgements', () => {
    // Prepare
    const { app, stack } = collectorStack();

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(stack);

    // Assess
    const inCollector = report.violations
      .map((violation) => ({
        rule: violation.ruleName,
        paths: violation.violatingResources
          .map((resource) => resource.constructPath ?? '')
          .filter((path) => path.includes('SnapshotCollector')),
      }))
      .filter((violation) => violation.paths.length > 0);
    expect(inCollector).toEqual([]);
  });

  test('bundles the handlers with the local esbuild', () => {
    // Prepare + Act
    const started = Date.now();
    const { stack } = collectorStack({}, true);
    const template = Template.fromStack(stack);

    // Assess
    const handlers = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }),
    );
    expect(handlers.map((fn) => fn.Properties.Runtime)).toEqual([
      'nodejs24.x',
      'nodejs24.x',
      'nodejs24.x',
      'nodejs24.x',
    ]);
    expect(handlers.every((fn) => typeof fn.Properties.Code.S3Key === 'string')).toBe(true);
    process.stderr.write(`SnapshotCollector bundled 4 functions in ${Date.now() - started} ms\n`);
  });
});
