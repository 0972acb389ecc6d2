import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { AwsSolutionsChecks } from 'cdk-nag';

const cdkJson = require('../../cdk.json') as { context: Record<string, unknown> };

/** Rules used until (and besides) the real grafana/rules file: a minimal valid Prometheus rule file. */
export const FIXTURE_RULES_FILE = path.join(__dirname, 'fixtures', 'heapwatch.rules.yml');

/** An App with the project's feature flags (like `cdk synth`) and without asset bundling (fast). */
export function testApp(): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

export interface ClusterStack {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
}

export function clusterStack(): ClusterStack {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  return { app, stack, vpc, cluster };
}

/** A web service behind an ALB, as teams build it with ecs_patterns. */
export function albService(
  scope: Stack,
  id: string,
  cluster: ecs.ICluster,
): ecsPatterns.ApplicationLoadBalancedFargateService {
  return new ecsPatterns.ApplicationLoadBalancedFargateService(scope, id, {
    cluster,
    memoryLimitMiB: 2048,
    cpu: 512,
    minHealthyPercent: 100,
    circuitBreaker: { rollback: true },
    taskImageOptions: {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      containerPort: 3000,
    },
  });
}

/** A service built by hand, without a load balancer. */
export function plainService(
  scope: Stack,
  id: string,
  cluster: ecs.ICluster,
  containers = ['app'],
): ecs.FargateService {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, `${id}Task`, { memoryLimitMiB: 1024, cpu: 512 });
  for (const name of containers) {
    taskDefinition.addContainer(name, {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
      portMappings: [{ containerPort: 8080 }],
    });
  }
  return new ecs.FargateService(scope, id, {
    cluster,
    taskDefinition,
    minHealthyPercent: 100,
    circuitBreaker: { rollback: true },
  });
}

/** cdk-nag AwsSolutions errors that are not acknowledged, as "rule at path" lines. */
export function unacknowledgedNagErrors(app: App, stack: Stack): string[] {
  const { violations } = new AwsSolutionsChecks(app).validateScope(stack) as {
    violations: Array<{ ruleName: string; severity: string; violatingResources: Array<{ constructPath: string }> }>;
  };
  return violations
    .filter((violation) => violation.severity === 'error')
    .flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
}
