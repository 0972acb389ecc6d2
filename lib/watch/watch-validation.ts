import { Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';
import { HeapwatchValidationError } from '../validation-error';

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
      throw new HeapwatchValidationError(
        `containerName: '${containerName}' is not a container of service '${service.node.path}' (its containers: ${names.join(', ') || 'none'}). Pass the name of the container that runs the heapwatch agent.`,
        service,
      );
    }
    return container;
  }
  if (containers.length === 1) {
    return containers[0];
  }
  throw new HeapwatchValidationError(
    `containerName: service '${service.node.path}' has ${containers.length} containers (${names.join(', ') || 'none'}), so heapwatch cannot tell which one runs the agent. Pass watch(service, { containerName: '<name>' }).`,
    service,
  );
}

export function assertValidAdminPort(adminPort: number, scope?: IConstruct): void {
  if (Token.isUnresolved(adminPort)) {
    return;
  }
  if (!Number.isInteger(adminPort) || adminPort < 1 || adminPort > 65535) {
    throw new HeapwatchValidationError(
      `adminPort: ${adminPort} is not a TCP port. Pass an integer from 1 to 65535 (default 9464).`,
      scope,
    );
  }
}

/**
 * Containers of an awsvpc task share one network namespace: the admin port must be free in all of them. When
 * `agentContainer` is given and it is the one that maps the port, the message suggests `mapAdminPort: false`.
 */
export function assertAdminPortFree(
  service: ecs.FargateService,
  adminPort: number,
  agentContainer?: ecs.ContainerDefinition,
): void {
  if (Token.isUnresolved(adminPort)) return;
  for (const container of containersOf(service.taskDefinition)) {
    if (!mapsPort(container, adminPort)) continue;
    const ownMapping =
      container === agentContainer
        ? ` If this mapping is the agent's admin port on purpose, pass watch(service, { mapAdminPort: false }) and heapwatch uses it as it is.`
        : '';
    throw new HeapwatchValidationError(
      `adminPort: ${adminPort} is already mapped by container '${container.containerName}' of service '${service.node.path}'. The admin port must be a port of its own that no load balancer routes to: pass watch(service, { adminPort: <free port> }) and the same HEAPWATCH_ADMIN_PORT is set for the agent.${ownMapping}`,
      service,
    );
  }
}

/**
 * With `mapAdminPort: false` the task definition must already map the admin port (TCP) on the agent's container, and
 * no other container may map it.
 */
export function assertAdminPortMapped(
  service: ecs.FargateService,
  container: ecs.ContainerDefinition,
  adminPort: number,
): void {
  if (Token.isUnresolved(adminPort)) return;
  const other = containersOf(service.taskDefinition).find(
    (candidate) => candidate !== container && mapsPort(candidate, adminPort),
  );
  if (other !== undefined) {
    throw new HeapwatchValidationError(
      `mapAdminPort: false, but the admin port ${adminPort} is mapped by container '${other.containerName}' of service '${service.node.path}', not by '${container.containerName}', which runs the agent. Map port ${adminPort} on '${container.containerName}' only, or pass the agent's container as containerName.`,
      service,
    );
  }
  const mapping = container.portMappings.find(
    (candidate) => !Token.isUnresolved(candidate.containerPort) && candidate.containerPort === adminPort,
  );
  if (
    mapping === undefined &&
    container.portMappings.some((candidate) => Token.isUnresolved(candidate.containerPort))
  ) {
    return;
  }
  if (mapping === undefined || (mapping.protocol ?? ecs.Protocol.TCP) !== ecs.Protocol.TCP) {
    const found = mapping === undefined ? 'does not map it' : `maps it as ${mapping.protocol}, not TCP`;
    throw new HeapwatchValidationError(
      `mapAdminPort: false, but container '${container.containerName}' of service '${service.node.path}' ${found}, so the scraper and the collector cannot reach the agent's admin port ${adminPort}. Add container.addPortMappings({ containerPort: ${adminPort}, protocol: ecs.Protocol.TCP }) to the task definition, or drop mapAdminPort: false to let watch() map it.`,
      service,
    );
  }
}

function mapsPort(container: ecs.ContainerDefinition, port: number): boolean {
  return container.portMappings.some(
    (mapping) => !Token.isUnresolved(mapping.containerPort) && mapping.containerPort === port,
  );
}

export function assertSameCluster(service: ecs.FargateService, cluster: ecs.ICluster): void {
  if (service.cluster === cluster) {
    return;
  }
  const stack = Stack.of(service);
  const serviceCluster = JSON.stringify(stack.resolve(service.cluster.clusterName));
  const heapwatchCluster = JSON.stringify(stack.resolve(cluster.clusterName));
  if (serviceCluster !== heapwatchCluster) {
    throw new HeapwatchValidationError(
      `service: '${service.node.path}' runs in cluster ${serviceCluster}, but this Heapwatch watches cluster ${heapwatchCluster}. Create one Heapwatch per cluster and call watch() on the one for the service's cluster.`,
      service,
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
