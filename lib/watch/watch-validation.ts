import { Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** Containers of a task definition, in the order they were added. */
export function containersOf(taskDefinition: ecs.TaskDefinition): ecs.ContainerDefinition[] {
  return taskDefinition.node.children.filter((child): child is ecs.ContainerDefinition => {
    return child instanceof ecs.ContainerDefinition;
  });
}

/** The container that runs the heapwatch agent: the only one, or the one named. */
export function resolveAgentContainer(service: ecs.FargateService, containerName?: string): ecs.ContainerDefinition {
  const containers = containersOf(service.taskDefinition);
  const names = containers.map((container) => container.containerName);
  if (containerName !== undefined) {
    const container = containers.find((candidate) => candidate.containerName === containerName);
    if (!container) {
      throw new Error(
        `containerName: '${containerName}' is not a container of service '${service.node.path}' (its containers: ${names.join(', ') || 'none'}). Pass the name of the container that runs the heapwatch agent.`,
      );
    }
    return container;
  }
  if (containers.length === 1) {
    return containers[0];
  }
  throw new Error(
    `containerName: service '${service.node.path}' has ${containers.length} containers (${names.join(', ') || 'none'}), so heapwatch cannot tell which one runs the agent. Pass watch(service, { containerName: '<name>' }).`,
  );
}

export function assertValidAdminPort(adminPort: number): void {
  if (Token.isUnresolved(adminPort)) {
    return;
  }
  if (!Number.isInteger(adminPort) || adminPort < 1 || adminPort > 65535) {
    throw new Error(`adminPort: ${adminPort} is not a TCP port. Pass an integer from 1 to 65535 (default 9464).`);
  }
}

/** Containers of an awsvpc task share one network namespace: the admin port must be free in all of them. */
export function assertAdminPortFree(service: ecs.FargateService, adminPort: number): void {
  for (const container of containersOf(service.taskDefinition)) {
    for (const mapping of container.portMappings) {
      if (Token.isUnresolved(mapping.containerPort) || Token.isUnresolved(adminPort)) {
        continue;
      }
      if (mapping.containerPort === adminPort) {
        throw new Error(
          `adminPort: ${adminPort} is already mapped by container '${container.containerName}' of service '${service.node.path}'. The admin port must be a port of its own that no load balancer routes to: pass watch(service, { adminPort: <free port> }) and the same HEAPWATCH_ADMIN_PORT is set for the agent.`,
        );
      }
    }
  }
}

export function assertSameCluster(service: ecs.FargateService, cluster: ecs.ICluster): void {
  if (service.cluster === cluster) {
    return;
  }
  const stack = Stack.of(service);
  const serviceCluster = JSON.stringify(stack.resolve(service.cluster.clusterName));
  const heapwatchCluster = JSON.stringify(stack.resolve(cluster.clusterName));
  if (serviceCluster !== heapwatchCluster) {
    throw new Error(
      `service: '${service.node.path}' runs in cluster ${serviceCluster}, but this Heapwatch watches cluster ${heapwatchCluster}. Create one Heapwatch per cluster and call watch() on the one for the service's cluster.`,
    );
  }
}

/** Container ports the service registers with load balancers (rendered, tokens skipped). */
export function loadBalancedPorts(service: ecs.FargateService): number[] {
  const cfnService = service.node.defaultChild as ecs.CfnService;
  const loadBalancers = Stack.of(service).resolve(cfnService.loadBalancers) as
    | Array<{ ContainerPort?: unknown; containerPort?: unknown }>
    | undefined;
  return (loadBalancers ?? [])
    .map((loadBalancer) => loadBalancer.ContainerPort ?? loadBalancer.containerPort)
    .filter((port): port is number => typeof port === 'number');
}
