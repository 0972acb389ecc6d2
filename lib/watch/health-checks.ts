import { Annotations, type Duration, Stack, Token } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IConstruct } from 'constructs';
import { valueText } from '../permissions/statement-text';
import {
  captureFreeze,
  containerHealthCheckFailsDuring,
  type TargetHealthTolerance,
  targetHealthTolerance,
} from './capture-freeze';

/** Assumed when the task memory is a token: 4 GiB, a large Fargate web task. */
const UNKNOWN_TASK_MEMORY_MIB = 4096;

/** The longest event-loop freeze a capture can cause in this service's tasks. */
export function serviceCaptureFreeze(service: ecs.FargateService): Duration {
  const cfnTaskDefinition = service.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const memory = Stack.of(service).resolve(cfnTaskDefinition.memory);
  const memoryMiB = typeof memory === 'string' && /^\d+$/.test(memory) ? Number(memory) : UNKNOWN_TASK_MEMORY_MIB;
  return captureFreeze(memoryMiB);
}

/** A target group the service's tasks are registered in, as far as it is known when watch() runs. */
export interface TargetGroupRegistration {
  readonly targetGroupArn: string;
  /** The target group's construct, when it is defined or imported in this app. */
  readonly targetGroup?: IConstruct;
}

/** The target groups this service's tasks are registered in, by `attachToApplicationTargetGroup` and the like. */
export function targetGroupRegistrations(service: ecs.FargateService): TargetGroupRegistration[] {
  const arns = [
    ...new Set(
      service.loadBalancers
        .map((loadBalancer) => loadBalancer.targetGroupArn)
        .filter((arn): arn is string => typeof arn === 'string'),
    ),
  ];
  const candidates = service.node.root.node
    .findAll()
    .filter((node): node is IConstruct & { targetGroupArn: string } => 'targetGroupArn' in node);
  const byArn = (targetGroupArn: string) =>
    candidates.filter((candidate) => candidate.targetGroupArn === targetGroupArn);
  return arns.map((targetGroupArn) => {
    const matches = byArn(targetGroupArn);
    // The target group itself before anything that merely holds its ARN.
    const targetGroup = matches.find((match) => match instanceof elbv2.TargetGroupBase) ?? matches[0];
    return { targetGroupArn, targetGroup };
  });
}

/** The target groups of this service that watch() may change: defined (not imported) in the service's own stack. */
export function targetGroupsOf(service: ecs.FargateService): elbv2.TargetGroupBase[] {
  return targetGroupRegistrations(service)
    .map((registration) => registration.targetGroup)
    .filter(
      (targetGroup): targetGroup is elbv2.TargetGroupBase =>
        targetGroup instanceof elbv2.TargetGroupBase && Stack.of(targetGroup) === Stack.of(service),
    );
}

/**
 * Relaxes the target groups' health checks so that a capture's freeze does not make the load balancer (and with it
 * ECS) replace the task being investigated. Keeps the path, port and matcher the service already uses. A target group
 * it may not change (another stack's, an imported one) gets a warning `@heapwatch/watch:health-check` on the service
 * with the settings to apply by hand.
 */
export function tolerateCaptureInTargetGroups(service: ecs.FargateService, freeze: Duration): void {
  const tolerance = targetHealthTolerance(freeze);
  const changeable = targetGroupsOf(service);
  for (const targetGroup of changeable) {
    targetGroup.configureHealthCheck({ ...targetGroup.healthCheck, ...tolerance });
  }
  for (const registration of targetGroupRegistrations(service)) {
    if (changeable.some((targetGroup) => targetGroup === registration.targetGroup)) continue;
    Annotations.of(service).addWarningV2(
      '@heapwatch/watch:health-check',
      `heapwatch cannot relax the health check of ${describeRegistration(service, registration)}, in which service '${service.node.path}' is registered. ${freezeConsequence(freeze)} ${healthCheckFix(tolerance)}`,
    );
  }
}

/** What to tell the owner of target groups that watch() was told not to change (`relaxHealthChecks: false`). */
export function describeUnrelaxedTargetGroups(service: ecs.FargateService, freeze: Duration): string | undefined {
  const registrations = targetGroupRegistrations(service);
  if (registrations.length === 0) return undefined;
  const targetGroups = registrations.map((registration) => describeRegistration(service, registration)).join(', ');
  return `relaxHealthChecks is false: heapwatch left the health checks of ${targetGroups} as they are. ${freezeConsequence(freeze)} ${healthCheckFix(targetHealthTolerance(freeze))}`;
}

function describeRegistration(service: ecs.FargateService, registration: TargetGroupRegistration): string {
  const { targetGroup } = registration;
  const arn = valueText(service, registration.targetGroupArn);
  if (targetGroup === undefined) return `the target group ${arn} (not defined in this app)`;
  if (!(targetGroup instanceof elbv2.TargetGroupBase)) return `the imported target group ${arn}`;
  if (Stack.of(targetGroup) !== Stack.of(service)) {
    return `the target group '${targetGroup.node.path}' (it belongs to stack '${Stack.of(targetGroup).node.path}', and watch() changes only the service's stack '${Stack.of(service).node.path}')`;
  }
  return `the target group '${targetGroup.node.path}'`;
}

function freezeConsequence(freeze: Duration): string {
  return `A heap snapshot freezes the event loop for up to ${freeze.toSeconds()}s in this task size; with a stricter health check the load balancer marks the task unhealthy and ECS replaces the very task being investigated.`;
}

function healthCheckFix(tolerance: TargetHealthTolerance): string {
  const interval = tolerance.interval.toSeconds();
  const timeout = tolerance.timeout.toSeconds();
  const { healthyThresholdCount: healthy, unhealthyThresholdCount: unhealthy } = tolerance;
  return `Set on that target group by hand: HealthCheckIntervalSeconds ${interval}, HealthCheckTimeoutSeconds ${timeout}, HealthyThresholdCount ${healthy}, UnhealthyThresholdCount ${unhealthy} (in CDK: targetGroup.configureHealthCheck({ interval: Duration.seconds(${interval}), timeout: Duration.seconds(${timeout}), healthyThresholdCount: ${healthy}, unhealthyThresholdCount: ${unhealthy} }), keeping its path and port).`;
}

/** Warns when the container's own health check would fail during a capture (it cannot be changed from here). */
export function warnOnContainerHealthCheck(
  service: ecs.FargateService,
  container: ecs.ContainerDefinition,
  freeze: Duration,
): void {
  const cfnTaskDefinition = service.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  // Container definitions resolve to camelCase until the template is synthesized.
  const rendered = Stack.of(service).resolve(cfnTaskDefinition.containerDefinitions) as Array<{
    name?: string;
    healthCheck?: { interval?: number; timeout?: number; retries?: number };
  }>;
  const healthCheck = rendered?.find((definition) => definition.name === container.containerName)?.healthCheck;
  if (!healthCheck) {
    return;
  }
  // ECS defaults: interval 30 s, timeout 5 s, retries 3.
  const check = {
    interval: healthCheck.interval ?? 30,
    timeout: healthCheck.timeout ?? 5,
    retries: healthCheck.retries ?? 3,
  };
  if (Object.values(check).some((value) => Token.isUnresolved(value))) {
    return;
  }
  if (containerHealthCheckFailsDuring(check, freeze)) {
    const retriesNeeded = Math.ceil((freeze.toSeconds() + check.timeout) / check.interval) + 2;
    const fix =
      retriesNeeded <= 10
        ? `Use retries ${retriesNeeded}`
        : `Use an interval of ${Math.ceil((freeze.toSeconds() + check.timeout) / 8)}s with retries 10`;
    Annotations.of(container).addWarningV2(
      'heapwatch:containerHealthCheckTooStrict',
      `The health check of container '${container.containerName}' (interval ${check.interval}s, timeout ${check.timeout}s, retries ${check.retries}) fails during a heap snapshot, which freezes the event loop for up to ${freeze.toSeconds()}s in this task size, and ECS would replace the task being investigated. ${fix}, or drop the container health check and rely on the ALB's.`,
    );
  }
}
