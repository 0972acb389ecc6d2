import { Duration, Lazy, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Heapwatch } from '../../lib';
import { albService, clusterStack, FIXTURE_RULES_FILE, plainService } from './test-app';

describe('Heapwatch.watch', () => {
  let template: Template;
  let stack: Stack;

  /** The task definitions of the two watched services. */
  function watchedTaskDefinitions() {
    return Object.values(template.findResources('AWS::ECS::TaskDefinition')).filter((resource) =>
      JSON.stringify(resource).includes('HEAPWATCH_ADMIN_PORT'),
    );
  }

  beforeAll(() => {
    // Prepare
    const built = clusterStack();
    stack = built.stack;
    const heapwatch = new Heapwatch(stack, 'Heapwatch', { cluster: built.cluster, rulesFile: FIXTURE_RULES_FILE });
    const web = albService(stack, 'Web', built.cluster);
    // Act
    heapwatch.watch(web.service);
    heapwatch.watch(plainService(stack, 'Worker', built.cluster), { adminPort: 9500 });
    template = Template.fromStack(stack);
  });

  it('maps the admin port and announces it to the agent', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'web',
          PortMappings: Match.arrayWith([{ ContainerPort: 9464, Name: 'heapwatch-admin', Protocol: 'tcp' }]),
          Environment: Match.arrayWith([{ Name: 'HEAPWATCH_ADMIN_PORT', Value: '9464' }]),
        }),
      ],
    });
  });

  it('gives the agent the public keys as plain environment, and no secret', () => {
    const watched = watchedTaskDefinitions();
    expect(watched).toHaveLength(2);
    for (const taskDefinition of watched) {
      const [container] = taskDefinition.Properties.ContainerDefinitions;
      expect(container.Environment).toContainEqual({
        Name: 'HEAPWATCH_PUBLIC_KEYS',
        Value: { 'Fn::GetAtt': [expect.stringMatching(/^HeapwatchSigningKeysinitialKeyPair/), 'PublicKey'] },
      });
      expect(container.Secrets).toBeUndefined();
      // No reference to the key's secret (its ARN is a Ref), only to the public key (a GetAtt).
      expect(JSON.stringify(container)).not.toMatch(/HEAPWATCH_SECRET|secretsmanager|"Ref":"HeapwatchSigningKeys/);
    }
  });

  it('gives the task and execution roles of watched services no Secrets Manager permission', () => {
    const roles = watchedTaskDefinitions().flatMap((taskDefinition) =>
      [taskDefinition.Properties.TaskRoleArn, taskDefinition.Properties.ExecutionRoleArn]
        .filter((arn) => arn !== undefined)
        .map((arn: { 'Fn::GetAtt': [string, string] }) => arn['Fn::GetAtt'][0]),
    );
    expect(roles.length).toBeGreaterThanOrEqual(2);
    const policiesOfRoles = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => roles.includes(role.Ref)),
    );
    const roleResources = roles.map((role) => template.toJSON().Resources[role]);
    expect(JSON.stringify([...policiesOfRoles, ...roleResources])).not.toContain('secretsmanager');
  });

  it('opens the admin port only to the scraper and collector security groups, never to a CIDR', () => {
    const adminIngress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((resource) =>
      [9464, 9500].includes(resource.Properties.FromPort),
    );
    const sources = adminIngress.map(
      (ingress) =>
        `${ingress.Properties.FromPort} ${ingress.Properties.SourceSecurityGroupId['Fn::GetAtt'][0].replace(/SecurityGroup.*$/, '')}`,
    );
    expect(sources.sort()).toEqual([
      '9464 HeapwatchCollector',
      '9464 HeapwatchScraper',
      '9500 HeapwatchCollector',
      '9500 HeapwatchScraper',
    ]);
    for (const ingress of adminIngress) {
      expect(ingress.Properties.CidrIp).toBeUndefined();
      expect(ingress.Properties.CidrIpv6).toBeUndefined();
      expect(ingress.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).toMatch(/^Heapwatch(Scraper|Collector)/);
    }
    const inlineRules = Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (group) => group.Properties.SecurityGroupIngress ?? [],
    );
    expect(inlineRules.filter((rule: { FromPort?: number }) => [9464, 9500].includes(rule.FromPort ?? -1))).toEqual([]);
  });

  it('registers no target group and no load balancer mapping on the admin port', () => {
    for (const targetGroup of Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))) {
      expect([9464, 9500]).not.toContain(targetGroup.Properties.Port);
      expect([9464, 9500]).not.toContain(Number(targetGroup.Properties.HealthCheckPort));
    }
    for (const service of Object.values(template.findResources('AWS::ECS::Service'))) {
      for (const loadBalancer of service.Properties.LoadBalancers ?? []) {
        expect(loadBalancer.ContainerPort).not.toBe(9464);
      }
    }
  });

  it('relaxes the ALB health check so that a capture freeze does not replace the task', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: Match.anyValue(),
    });
    const [targetGroup] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    const { HealthCheckIntervalSeconds: interval, UnhealthyThresholdCount: threshold } = targetGroup.Properties;
    // A 2 GiB task captures at most ~170 MiB of heap: ~37 s frozen with margin.
    expect(interval * (threshold - 1)).toBeGreaterThan(37 + 10);
  });

  it('adds a CloudWatch memory alarm per service that notifies the alarm topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MemoryUtilization',
      Namespace: 'AWS/ECS',
      Threshold: 90,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^HeapwatchTopicsAlarms') }],
    });
  });

  it('tags both services with their own admin port, which is how the scraper and the collector find them', () => {
    const ports = Object.values(template.findResources('AWS::ECS::Service'))
      .map((service) => service.Properties.Tags as Array<{ Key: string; Value: string }> | undefined)
      .map((tags) => tags?.find((tag) => tag.Key === 'heapwatch:admin-port')?.Value)
      .filter((port) => port !== undefined)
      .sort();
    expect(ports).toEqual(['9464', '9500']);
    const [scraper] = Object.values(
      template.findResources('AWS::ECS::TaskDefinition', {
        Properties: { ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'prometheus' })]) },
      }),
    );
    const config = JSON.stringify(scraper.Properties.ContainerDefinitions[0].Environment);
    expect(config).toContain('__meta_ecs_tag_service_heapwatch_admin_port');
    expect(config).not.toMatch(/WebService|WorkerService/);
  });
});

describe('Heapwatch.watch validation', () => {
  function setup() {
    const built = clusterStack();
    const heapwatch = new Heapwatch(built.stack, 'Heapwatch', {
      cluster: built.cluster,
      rulesFile: FIXTURE_RULES_FILE,
    });
    return { ...built, heapwatch };
  }

  it('rejects an admin port that a container already maps', () => {
    const { stack, cluster, heapwatch } = setup();
    const service = plainService(stack, 'Api', cluster);
    expect(() => heapwatch.watch(service, { adminPort: 8080 })).toThrow(
      /adminPort: 8080 is already mapped by container 'app'.*pass watch\(service, \{ adminPort: <free port> \}\)/,
    );
  });

  it('rejects an admin port that is not a TCP port', () => {
    const { stack, cluster, heapwatch } = setup();
    expect(() => heapwatch.watch(plainService(stack, 'Api', cluster), { adminPort: 70000 })).toThrow(
      /adminPort: 70000 is not a TCP port/,
    );
  });

  it('rejects a service of another cluster', () => {
    const { stack, vpc, heapwatch } = setup();
    const otherCluster = new ecs.Cluster(stack, 'Other', { vpc });
    expect(() => heapwatch.watch(plainService(stack, 'Api', otherCluster))).toThrow(
      /service: 'Test\/Api' runs in cluster .*Other.*Create one Heapwatch per cluster/,
    );
  });

  it('rejects a task with several containers unless containerName says which', () => {
    const { stack, cluster, heapwatch } = setup();
    const service = plainService(stack, 'Api', cluster, ['app', 'sidecar']);
    expect(() => heapwatch.watch(service)).toThrow(/containerName: .*has 2 containers \(app, sidecar\).*containerName/);
    expect(() => heapwatch.watch(service, { containerName: 'nope' })).toThrow(
      /containerName: 'nope' is not a container of service 'Test\/Api' \(its containers: app, sidecar\)/,
    );
  });

  it('accepts the named container of a multi-container task', () => {
    const { stack, cluster, heapwatch } = setup();
    const service = plainService(stack, 'Api', cluster, ['app', 'sidecar']);
    heapwatch.watch(service, { containerName: 'sidecar', adminPort: 9000 });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({ Name: 'app', Environment: Match.absent() }),
        Match.objectLike({
          Name: 'sidecar',
          Environment: [
            { Name: 'HEAPWATCH_ADMIN_PORT', Value: '9000' },
            { Name: 'HEAPWATCH_PUBLIC_KEYS', Value: Match.anyValue() },
          ],
        }),
      ],
    });
  });

  it('skips validation of an admin port that is an unresolved token', () => {
    const { stack, cluster, heapwatch } = setup();
    const adminPort = Lazy.number({ produce: () => 8080 });
    expect(() => heapwatch.watch(plainService(stack, 'Api', cluster), { adminPort })).not.toThrow();
  });

  it('rejects watching the same service twice', () => {
    const { stack, cluster, heapwatch } = setup();
    const service = plainService(stack, 'Api', cluster);
    heapwatch.watch(service);
    expect(() => heapwatch.watch(service)).toThrow(/already watched/);
  });

  it('fails synthesis when the admin port is later registered with a load balancer', () => {
    const { app, stack, vpc, cluster, heapwatch } = setup();
    const service = plainService(stack, 'Api', cluster);
    heapwatch.watch(service);
    const targetGroup = new elbv2.ApplicationTargetGroup(stack, 'Tg', {
      vpc,
      port: 9464,
      protocol: elbv2.ApplicationProtocol.HTTP,
    });
    targetGroup.addTarget(service.loadBalancerTarget({ containerName: 'app', containerPort: 9464 }));
    expect(() => app.synth()).toThrow(/admin port 9464 .* is registered with a load balancer/);
  });

  it('warns when the container health check would fail during a capture', () => {
    const { stack, cluster, heapwatch } = setup();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'StrictTask', { memoryLimitMiB: 8192, cpu: 2048 });
    taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      healthCheck: {
        command: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:3000/healthz'],
        interval: Duration.seconds(10),
        retries: 3,
      },
    });
    heapwatch.watch(
      new ecs.FargateService(stack, 'Strict', {
        cluster,
        taskDefinition,
        minHealthyPercent: 100,
        circuitBreaker: { rollback: true },
      }),
    );
    Annotations.fromStack(stack).hasWarning(
      '/Test/StrictTask/app',
      Match.stringLikeRegexp(
        'health check of container .app. .* fails during a heap snapshot.*Use an interval of 19s with retries 10',
      ),
    );
  });
});
