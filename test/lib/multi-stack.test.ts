import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Heapwatch } from '../../lib';
import { albService, FIXTURE_RULES_FILE, plainService, testApp, unacknowledgedNagErrors } from './test-app';

/** The layout of a real app: the network in one stack, monitoring in another, each service in its own. */
function fourStackApp(watch = true) {
  const app = testApp();
  const env = { account: '111122223333', region: 'eu-west-1' };
  const base = new Stack(app, 'Base', { env });
  const vpc = new ec2.Vpc(base, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(base, 'Cluster', { vpc });
  const monitoring = new Stack(app, 'Monitoring', { env });
  const heapwatch = new Heapwatch(monitoring, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE });
  const shop = new Stack(app, 'Shop', { env });
  const web = albService(shop, 'Web', cluster);
  const worker = new Stack(app, 'Worker', { env });
  const jobs = plainService(worker, 'Jobs', cluster);
  if (watch) {
    heapwatch.watch(web.service);
    heapwatch.watch(jobs, { adminPort: 9500 });
  }
  return { app, base, monitoring, shop, worker };
}

function dependencyNames(stack: Stack): string[] {
  return stack.dependencies.map((dependency) => dependency.stackName).sort();
}

/** Stacks whose outputs a template reads (CDK's cross-stack references: Fn::GetStackOutput, or exports). */
function referencedStacks(app: App, stack: Stack): string[] {
  const template = JSON.stringify(app.synth().getStackByName(stack.stackName).template);
  const names = [
    ...[...template.matchAll(/"Fn::GetStackOutput":\{"StackName":"([A-Za-z0-9-]+)"/g)].map((match) => match[1]),
    ...[...template.matchAll(/"Fn::ImportValue":"([A-Za-z0-9-]+):/g)].map((match) => match[1]),
  ];
  return [...new Set(names)].sort();
}

describe('watch() across the stacks of one app', () => {
  it('synthesizes base / monitoring / two services with no cycle; monitoring depends on base only', () => {
    const { app, base, monitoring, shop, worker } = fourStackApp();

    expect(() => app.synth()).not.toThrow();
    expect(dependencyNames(base)).toEqual([]);
    expect(dependencyNames(monitoring)).toEqual(['Base']);
    expect(dependencyNames(shop)).toEqual(['Base', 'Monitoring']);
    expect(dependencyNames(worker)).toEqual(['Base', 'Monitoring']);
    expect(referencedStacks(app, monitoring)).toEqual(['Base']);
    expect(referencedStacks(app, shop)).toEqual(['Base', 'Monitoring']);
  });

  it('creates everything watch() needs in the service stacks: tags, keys, security group rules, alarm', () => {
    const { shop, worker, monitoring } = fourStackApp();
    const jobs = Template.fromStack(worker);

    jobs.hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([{ Key: 'heapwatch:admin-port', Value: '9500' }]),
    });
    jobs.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'HEAPWATCH_ADMIN_PORT', Value: '9500' },
            Match.objectLike({ Name: 'HEAPWATCH_PUBLIC_KEYS' }),
          ]),
          PortMappings: Match.arrayWith([Match.objectLike({ ContainerPort: 9500, Name: 'heapwatch-admin' })]),
        }),
      ],
    });
    // The admin port is open to the scraper and the collector only; the collector's outbound rule to the service lives
    // beside the service too.
    const fromMonitoring = { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Monitoring' }) };
    jobs.resourceCountIs('AWS::EC2::SecurityGroupIngress', 2);
    jobs.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9500,
      ToPort: 9500,
      Description: 'heapwatch scraper to admin port',
      SourceSecurityGroupId: fromMonitoring,
    });
    jobs.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9500,
      Description: 'heapwatch collector to admin port',
      SourceSecurityGroupId: fromMonitoring,
    });
    jobs.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 9500, GroupId: fromMonitoring });
    jobs.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    Template.fromStack(shop).hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([{ Key: 'heapwatch:admin-port', Value: '9464' }]),
    });
    // Nothing in the monitoring stack names a service.
    const monitoringTemplate = JSON.stringify(Template.fromStack(monitoring).toJSON());
    expect(monitoringTemplate).not.toMatch(/HEAPWATCH_ADMIN_PORTS|Shop|Worker|Jobs/);
  });

  it('has no cycle when the service’s security group is defined in the network stack', () => {
    const { app, base, monitoring } = fourStackApp();
    const group = new ec2.SecurityGroup(base, 'PaymentsGroup', { vpc: base.node.findChild('Vpc') as ec2.Vpc });
    const payments = new Stack(app, 'Payments', { env: { account: '111122223333', region: 'eu-west-1' } });
    const taskDefinition = new ecs.FargateTaskDefinition(payments, 'Task', { memoryLimitMiB: 1024, cpu: 512 });
    taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
    });
    const cluster = base.node.findChild('Cluster') as ecs.Cluster;
    const service = new ecs.FargateService(payments, 'Service', {
      cluster,
      taskDefinition,
      securityGroups: [group],
      minHealthyPercent: 100,
    });
    const heapwatch = monitoring.node.findChild('Heapwatch') as Heapwatch;
    heapwatch.watch(service);

    expect(() => app.synth()).not.toThrow();
    expect(dependencyNames(base)).toEqual([]);
    expect(dependencyNames(payments)).toEqual(['Base', 'Monitoring']);
    Template.fromStack(payments).resourceCountIs('AWS::EC2::SecurityGroupIngress', 2);
  });

  it('adds no cdk-nag finding to the service stacks but ECS2 (plain environment: the public keys, the admin port)', () => {
    const findings = (watched: boolean) => {
      const { app, worker, shop } = fourStackApp(watched);
      return [...unacknowledgedNagErrors(app, worker), ...unacknowledgedNagErrors(app, shop)];
    };
    const before = findings(false);
    const added = findings(true).filter((finding) => !before.includes(finding));
    expect(added.sort()).toEqual([
      'AwsSolutions-ECS2 at Shop/Web/TaskDef/Resource',
      'AwsSolutions-ECS2 at Worker/JobsTask/Resource',
    ]);
  });
});

describe('a service of another CDK app', () => {
  it('joins through the SSM parameters the Heapwatch writes, with plain values crossing the boundary', () => {
    // Prepare: the monitoring app writes its parameters
    const monitoringApp = testApp();
    const env = { account: '111122223333', region: 'eu-west-1' };
    const monitoring = new Stack(monitoringApp, 'Monitoring', { env });
    const cluster = new ecs.Cluster(monitoring, 'Cluster', { vpc: new ec2.Vpc(monitoring, 'Vpc', { maxAzs: 2 }) });
    new Heapwatch(monitoring, 'Heapwatch', {
      cluster,
      rulesFile: FIXTURE_RULES_FILE,
      parameterPrefix: '/heapwatch/prod',
    });
    const written = Template.fromStack(monitoring).findResources('AWS::SSM::Parameter');

    // Act: a team's app, which knows only the prefix and its cluster's name
    const teamApp = testApp();
    const team = new Stack(teamApp, 'Payments', { env });
    const teamCluster = ecs.Cluster.fromClusterAttributes(team, 'Cluster', {
      clusterName: 'prod',
      vpc: ec2.Vpc.fromVpcAttributes(team, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['eu-west-1a'],
        privateSubnetIds: ['subnet-0123456789abcdef0'],
        privateSubnetRouteTableIds: ['rtb-0123456789abcdef0'],
      }),
    });
    const payments = plainService(team, 'Payments', teamCluster);
    Heapwatch.fromParameters(team, 'Heapwatch', '/heapwatch/prod').watch(payments);
    const template = Template.fromStack(team);

    // Assess
    expect(
      Object.values(written)
        .map((parameter) => parameter.Properties.Name)
        .sort(),
    ).toEqual([
      '/heapwatch/prod/alarm-topic-arn',
      '/heapwatch/prod/cluster-name',
      '/heapwatch/prod/collector-security-group-id',
      '/heapwatch/prod/public-keys',
      '/heapwatch/prod/scraper-security-group-id',
    ]);
    const parameters = template.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(
      Object.values(parameters)
        .filter((parameter) => parameter.Type === 'AWS::SSM::Parameter::Value<String>')
        .map((parameter) => parameter.Default)
        .filter((name) => name.startsWith('/heapwatch/'))
        .sort(),
    ).toEqual([
      '/heapwatch/prod/alarm-topic-arn',
      '/heapwatch/prod/collector-security-group-id',
      '/heapwatch/prod/public-keys',
      '/heapwatch/prod/scraper-security-group-id',
    ]);
    template.hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([{ Key: 'heapwatch:admin-port', Value: '9464' }]),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 9464, ToPort: 9464 });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/Fn::ImportValue|Fn::GetStackOutput/);
  });

  it('joins with attributes given in code, and refuses a parameter path that cannot work', () => {
    const app = testApp();
    const stack = new Stack(app, 'Team', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster', {
      clusterName: 'prod',
      vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }),
    });
    const service = plainService(stack, 'Api', cluster);
    const imported = Heapwatch.fromAttributes(stack, 'Heapwatch', {
      clusterName: 'prod',
      scraperSecurityGroupId: 'sg-0123456789abcdef1',
      collectorSecurityGroupId: 'sg-0123456789abcdef2',
      publicKeys: 'MCowBQYDK2VwAyEAplaceholderplaceholderplaceholder00=',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:heapwatch-alarms',
    });
    imported.watch(service);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: 'sg-0123456789abcdef2' });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: 'sg-0123456789abcdef2',
      FromPort: 9464,
    });
    expect(() => Heapwatch.fromParameters(stack, 'Bad', 'heapwatch/prod/')).toThrow(
      /prefix: "heapwatch\/prod\/" is not an SSM parameter path/,
    );
    const other = ecs.Cluster.fromClusterAttributes(stack, 'Other', { clusterName: 'staging', vpc: cluster.vpc });
    expect(() => imported.watch(plainService(stack, 'Elsewhere', other))).toThrow(
      /runs in cluster 'staging', but this Heapwatch watches cluster 'prod'/,
    );
  });
});

describe('the service after watch()', () => {
  it('keeps what its owner adds to the container later', () => {
    const app = testApp();
    const stack = new Stack(app, 'Later', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }) });
    const heapwatch = new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE });
    const service = plainService(stack, 'App', cluster);
    heapwatch.watch(service);
    service.taskDefinition.defaultContainer?.addEnvironment('FEATURE_FLAG', 'on');
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'HEAPWATCH_ADMIN_PORT', Value: '9464' },
            { Name: 'FEATURE_FLAG', Value: 'on' },
          ]),
        }),
      ],
    });
  });
});

describe('a service that mounts the agent in its own app', () => {
  it('is scraped and captured on its path: watch() tags it and tells the handler its prefix', () => {
    const app = testApp();
    const stack = new Stack(app, 'Mounted', { env: { account: '111122223333', region: 'eu-west-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }) });
    const heapwatch = new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE });
    const service = plainService(stack, 'App', cluster);
    heapwatch.watch(service, { adminPort: 9600, adminPath: '/_heapwatch' });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([
        { Key: 'heapwatch:admin-path', Value: '/_heapwatch' },
        { Key: 'heapwatch:admin-port', Value: '9600' },
      ]),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({ Environment: Match.arrayWith([{ Name: 'HEAPWATCH_ADMIN_PATH', Value: '/_heapwatch' }]) }),
      ],
    });
    expect(() => heapwatch.watch(plainService(stack, 'Other', cluster), { adminPath: '_heapwatch/' })).toThrow(
      /adminPath: "_heapwatch\/" is not a path prefix/,
    );
  });
});
