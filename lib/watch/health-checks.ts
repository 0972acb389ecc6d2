import { Annotations, type Duration, Stack, Token } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { captureFreeze, containerHealthCheckFailsDuring, targetHealthTolerance } from './capture-freeze';

/** Assumed when the task memory is a token: 4 GiB, a large Fargate web task. */
const UNKNOWN_TASK_MEMORY_MIB = 4096;

/** The longest event-loop freeze a capture can cause in this service's tasks. */
export function serviceCaptureFreeze(service: ecs.FargateService): Duration {
  const cfnTaskDefinition = service.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const memory = Stack.of(service).resolve(cfnTaskDefinition.memory);
  const memoryMiB = typeof memory === 'string' && /^\d+$/.test(memory) ? Number(memory) : UNKNOWN_TASK_MEMORY_MIB;
  return captureFreeze(memoryMiB);
}

/** The ALB target groups this service's tasks are registered in (as far as they are known when watch() runs). */
export function targetGroupsOf(service: ecs.FargateService): elbv2.ApplicationTargetGroup[] {
  const stack = Stack.of(service);
  const cfnService = service.node.defaultChild as ecs.CfnService;
  // The service's load balancers resolve to camelCase before the template is rendered, PascalCase after.
  const loadBalancers = (stack.resolve(cfnService.loadBalancers) ?? []) as Array<{
    targetGroupArn?: unknown;
    TargetGroupArn?: unknown;
  }>;
  const arns = new Set(
    loadBalancers.map((loadBalancer) => JSON.stringify(loadBalancer.targetGroupArn ?? loadBalancer.TargetGroupArn)),
  );
  return stack.node
    .findAll()
    .filter((node): node is elbv2.ApplicationTargetGroup => node instanceof elbv2.ApplicationTargetGroup)
    .filter((targetGroup) => arns.has(JSON.stringify(stack.resolve(targetGroup.targetGroupArn))));
}

/**
 * Relaxes the target groups' health checks so that a capture's freeze does not make the ALB (and with it ECS)
 * replace the task being investigated. Keeps the path, port and matcher the service already uses.
 */
export function tolerateCaptureInTargetGroups(service: ecs.FargateService, freeze: Duration): void {
  const tolerance = targetHealthTolerance(freeze);
  for (const targetGroup of targetGroupsOf(service)) {
    targetGroup.configureHealthCheck({ ...targetGroup.healthCheck, ...tolerance });
  }
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
