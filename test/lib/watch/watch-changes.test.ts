import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import { HeapwatchValidationError } from '../../../lib/validation-error';
import { applyWatchChanges, type WatchOwnershipOptions } from '../../../lib/watch/watch-changes';
import { albService, clusterStack, plainService } from '../test-app';

/** A web service behind an ALB (ecs_patterns, 2 GiB tasks), watched with these options. */
function watchedWeb(options: WatchOwnershipOptions = {}) {
  const built = clusterStack();
  const alarmTopic = new sns.Topic(built.stack, 'Alarms');
  const web = albService(built.stack, 'Web', built.cluster);
  const container = web.taskDefinition.defaultContainer!;
  applyWatchChanges(web.service, container, {
    adminPort: 9464,
    alarmTopic,
    memoryAlarmThresholdPercent: 90,
    ...options,
  });
  return { ...built, web, template: Template.fromStack(built.stack) };
}

const RELAXED = {
  HealthCheckIntervalSeconds: 30,
  HealthCheckTimeoutSeconds: 10,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 4,
};

describe('applyWatchChanges', () => {
  test('by default maps the admin port, relaxes the ALB health check and adds the backstop alarm', () => {
    // Prepare + Act
    const { stack, template } = watchedWeb();

    // Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          PortMappings: Match.arrayWith([{ ContainerPort: 9464, Name: 'heapwatch-admin', Protocol: 'tcp' }]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', RELAXED);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MemoryUtilization',
      Threshold: 90,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('mapAdminPort: false maps nothing and accepts the mapping the task definition has', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const service = plainService(stack, 'Api', cluster);
    const container = service.taskDefinition.defaultContainer!;
    container.addPortMappings({ containerPort: 9464, name: 'admin' });

    // Act
    applyWatchChanges(service, container, {
      adminPort: 9464,
      alarmTopic: new sns.Topic(stack, 'Alarms'),
      memoryAlarmThresholdPercent: 90,
      mapAdminPort: false,
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          PortMappings: [
            Match.objectLike({ ContainerPort: 8080 }),
            { ContainerPort: 9464, Name: 'admin', Protocol: 'tcp' },
          ],
        }),
      ],
    });
  });

  test.each([
    [
      'no mapping',
      (_: ecs.FargateService, __: ecs.ContainerDefinition) => {},
      /mapAdminPort: false, but container 'app' of service 'Test\/Api' does not map it.*admin port 9464.*addPortMappings\(\{ containerPort: 9464, protocol: ecs\.Protocol\.TCP \}\)/,
    ],
    [
      'a UDP mapping',
      (_: ecs.FargateService, container: ecs.ContainerDefinition) =>
        container.addPortMappings({ containerPort: 9464, protocol: ecs.Protocol.UDP }),
      /mapAdminPort: false, but container 'app' .* maps it as udp, not TCP/,
    ],
    [
      'the mapping on another container',
      (service: ecs.FargateService) =>
        service.taskDefinition.addContainer('proxy', {
          image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
          portMappings: [{ containerPort: 9464 }],
        }),
      /mapAdminPort: false, but the admin port 9464 is mapped by container 'proxy' .* not by 'app', which runs the agent/,
    ],
  ])('mapAdminPort: false with %s throws, naming the option, the port and the fix', (_, arrange, message) => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const service = plainService(stack, 'Api', cluster);
    const container = service.taskDefinition.defaultContainer!;
    arrange(service, container);
    const alarmTopic = new sns.Topic(stack, 'Alarms');

    // Act
    const act = () =>
      applyWatchChanges(service, container, {
        adminPort: 9464,
        alarmTopic,
        memoryAlarmThresholdPercent: 90,
        mapAdminPort: false,
      });

    // Assess
    expect(act).toThrow(message);
    expect(act).toThrow(HeapwatchValidationError);
  });

  test('with the admin port already mapped on the agent container, suggests mapAdminPort: false', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const service = plainService(stack, 'Api', cluster);
    const container = service.taskDefinition.defaultContainer!;
    container.addPortMappings({ containerPort: 9464 });

    // Act + Assess
    expect(() =>
      applyWatchChanges(service, container, {
        adminPort: 9464,
        alarmTopic: new sns.Topic(stack, 'Alarms'),
        memoryAlarmThresholdPercent: 90,
      }),
    ).toThrow(/adminPort: 9464 is already mapped by container 'app'.*pass watch\(service, \{ mapAdminPort: false \}\)/);
  });

  test('relaxHealthChecks: false leaves the target group alone and says what to set in an info message', () => {
    // Prepare + Act
    const { stack, template } = watchedWeb({ relaxHealthChecks: false });

    // Assess
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckIntervalSeconds: Match.absent(),
      HealthCheckTimeoutSeconds: Match.absent(),
      UnhealthyThresholdCount: Match.absent(),
    });
    Annotations.fromStack(stack).hasInfo(
      '/Test/Web/Service',
      Match.stringLikeRegexp(
        "relaxHealthChecks is false: heapwatch left the health checks of the target group 'Test/Web/LB/PublicListener/ECSGroup' as they are.*HealthCheckIntervalSeconds 30, HealthCheckTimeoutSeconds 10, HealthyThresholdCount 2, UnhealthyThresholdCount 4",
      ),
    );
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('backstopAlarm: false adds no alarm; a threshold that is no percentage is refused when it is on', () => {
    // Prepare + Act
    const { template } = watchedWeb({ backstopAlarm: false });

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(() =>
      watchedWeb({ backstopAlarm: true, memoryAlarmThresholdPercent: 150 } as WatchOwnershipOptions),
    ).toThrow(/memoryAlarmThresholdPercent: 150 is not a percentage.*or backstopAlarm: false/);
  });

  test('warns with the settings for a target group of another stack, and leaves that stack alone', () => {
    // Prepare: the load balancer's stack does not depend on the service's (its VPC is imported by ID).
    const { app, stack, cluster } = clusterStack();
    const shared = new Stack(app, 'Shared');
    const sharedVpc = ec2.Vpc.fromVpcAttributes(shared, 'Vpc', { vpcId: 'vpc-0123456789', availabilityZones: ['a'] });
    const targetGroup = new elbv2.ApplicationTargetGroup(shared, 'WebTargets', {
      vpc: sharedVpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
    });
    const service = plainService(stack, 'Api', cluster);
    service.attachToApplicationTargetGroup(targetGroup);

    // Act
    applyWatchChanges(service, service.taskDefinition.defaultContainer!, {
      adminPort: 9464,
      alarmTopic: new sns.Topic(stack, 'Alarms'),
      memoryAlarmThresholdPercent: 90,
    });

    // Assess
    Template.fromStack(shared).hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckIntervalSeconds: Match.absent(),
      UnhealthyThresholdCount: Match.absent(),
    });
    const warnings = Annotations.fromStack(stack).findWarning(
      '/Test/Api',
      Match.stringLikeRegexp('@heapwatch/watch:health-check'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toMatch(
      /^heapwatch cannot relax the health check of the target group 'Shared\/WebTargets' \(it belongs to stack 'Shared', and watch\(\) changes only the service's stack 'Test'\), in which service 'Test\/Api' is registered\. A heap snapshot freezes the event loop for up to 19s .*HealthCheckIntervalSeconds 30, HealthCheckTimeoutSeconds 10, HealthyThresholdCount 2, UnhealthyThresholdCount 3 \(in CDK: targetGroup\.configureHealthCheck\(\{ interval: Duration\.seconds\(30\), timeout: Duration\.seconds\(10\), healthyThresholdCount: 2, unhealthyThresholdCount: 3 \}\)/,
    );
  });

  test('warns with the settings for an imported target group', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef';
    const imported = elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, 'Imported', {
      targetGroupArn: arn,
    });
    const service = plainService(stack, 'Api', cluster);
    service.attachToApplicationTargetGroup(imported);

    // Act
    applyWatchChanges(service, service.taskDefinition.defaultContainer!, {
      adminPort: 9464,
      alarmTopic: new sns.Topic(stack, 'Alarms'),
      memoryAlarmThresholdPercent: 90,
    });

    // Assess
    Annotations.fromStack(stack).hasWarning(
      '/Test/Api',
      Match.stringLikeRegexp(
        `cannot relax the health check of the imported target group ${arn}.*UnhealthyThresholdCount 3`,
      ),
    );
  });

  test('still warns about a container health check that a capture would fail', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'StrictTask', { memoryLimitMiB: 8192, cpu: 2048 });
    const container = taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      healthCheck: { command: ['CMD-SHELL', 'true'], interval: Duration.seconds(10), retries: 3 },
    });
    const service = new ecs.FargateService(stack, 'Strict', { cluster, taskDefinition, minHealthyPercent: 100 });

    // Act
    applyWatchChanges(service, container, {
      adminPort: 9464,
      alarmTopic: new sns.Topic(stack, 'Alarms'),
      memoryAlarmThresholdPercent: 90,
      relaxHealthChecks: false,
    });

    // Assess
    Annotations.fromStack(stack).hasWarning(
      '/Test/StrictTask/app',
      Match.stringLikeRegexp('fails during a heap snapshot'),
    );
  });
});
