import { Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { WATCH_TAGS } from '../scraper/scrape-config';
import { HeapwatchValidationError } from '../validation-error';
import { applyWatchChanges, type WatchOwnershipOptions } from './watch-changes';
import {
  assertSameCluster as assertSameClusterConstruct,
  assertValidAdminPort,
  loadBalancedPorts,
  resolveAgentContainer,
} from './watch-validation';

/** The agent's default admin port (wire protocol v2). */
export const DEFAULT_ADMIN_PORT = 9464;

/**
 * What `watch()` needs from a Heapwatch, wherever it is defined: in the same stack, another stack of the app (CDK
 * exports it), or another app (plain values, e.g. from SSM parameters). Everything flows from the service's stack to
 * the Heapwatch, never back: the scraper and the collector find the service by its tags.
 */
export interface WatchTarget {
  /** The cluster the Heapwatch watches, when defined in the same app. */
  readonly cluster?: ecs.ICluster;
  /** The name of the cluster the Heapwatch watches. @default - not checked */
  readonly clusterName?: string;
  /** The Prometheus agent's security group: it scrapes the admin port. */
  readonly scraperSecurityGroup: ec2.ISecurityGroup;
  /** The collector's security group: it takes the captures. */
  readonly collectorSecurityGroup: ec2.ISecurityGroup;
  /** The public keys the agents accept, comma-separated: `HEAPWATCH_PUBLIC_KEYS`. */
  readonly publicKeys: string;
  /** Where the backstop alarm goes. */
  readonly alarmTopic: sns.ITopic;
  /** Memory utilisation (percent) that raises the backstop alarm. */
  readonly memoryAlarmThresholdPercent: number;
}

export interface WatchOptions extends WatchOwnershipOptions {
  /** The container running the heapwatch agent. @default - the task's only container */
  readonly containerName?: string;
  /** Port of the agent's admin endpoints (`/metrics`, `/heap/snapshot`, `/heap/profile`). @default 9464 */
  readonly adminPort?: number;
  /**
   * Prefix of the admin paths when the service mounts the agent's handlers in its own app
   * (`createAdminRequestHandler`), e.g. '/_heapwatch'. The scraper then reads `<adminPath>/metrics` and the collector
   * posts to `<adminPath>/heap/...`; the container gets it as HEAPWATCH_ADMIN_PATH, which the mounted handler uses.
   * @default '' (the agent's own admin server)
   */
  readonly adminPath?: string;
}

/** Path segments of characters an ECS tag value takes. */
const ADMIN_PATH = /^(\/[A-Za-z0-9._-]+)+$/;
const watchedServices = new WeakSet<ecs.FargateService>();

/**
 * Watches a Fargate service whose container embeds the heapwatch agent: tags the service so the scraper and the
 * collector find it (`heapwatch:admin-port`, `heapwatch:admin-path`), gives the agent the public keys, opens the admin
 * port to the scraper and the collector only, and makes captures safe for the service (health checks, backstop
 * alarm). Every resource it creates or changes lives in the service's stack.
 */
export function watchService(service: ecs.FargateService, target: WatchTarget, options: WatchOptions = {}): void {
  const adminPort = options.adminPort ?? DEFAULT_ADMIN_PORT;
  const adminPath = options.adminPath ?? '';
  assertValidAdminPort(adminPort);
  if (adminPath !== '' && !ADMIN_PATH.test(adminPath)) {
    throw new HeapwatchValidationError(
      `adminPath: ${JSON.stringify(adminPath)} is not a path prefix. Pass '' (the agent's admin server) or the pathPrefix of createAdminRequestHandler, e.g. '/_heapwatch'.`,
    );
  }
  if (watchedServices.has(service)) {
    throw new HeapwatchValidationError(
      `service: '${service.node.path}' is already watched. Call watch() once per service.`,
      service,
    );
  }
  assertSameCluster(service, target);
  const container = resolveAgentContainer(service, options.containerName);
  watchedServices.add(service);

  container.addEnvironment('HEAPWATCH_ADMIN_PORT', String(adminPort));
  if (adminPath !== '') container.addEnvironment('HEAPWATCH_ADMIN_PATH', adminPath);
  container.addEnvironment('HEAPWATCH_PUBLIC_KEYS', target.publicKeys);
  Tags.of(service).add(WATCH_TAGS.adminPort, String(adminPort));
  if (adminPath !== '') Tags.of(service).add(WATCH_TAGS.adminPath, adminPath);

  // The changes to what the user owns (port mapping, health checks, backstop alarm), each with an opt-out.
  applyWatchChanges(service, container, {
    adminPort,
    alarmTopic: target.alarmTopic,
    memoryAlarmThresholdPercent: target.memoryAlarmThresholdPercent,
    mapAdminPort: options.mapAdminPort,
    relaxHealthChecks: options.relaxHealthChecks,
    backstopAlarm: options.backstopAlarm,
  });

  openAdminPort(service, target, adminPort);
  service.node.addValidation({
    validate: () =>
      loadBalancedPorts(service).includes(adminPort)
        ? [
            `the heapwatch admin port ${adminPort} of '${service.node.path}' is registered with a load balancer. Snapshots hold user data and must never be reachable through it: register the service's traffic port instead.`,
          ]
        : [],
  });
}

/** A service of another cluster cannot be reached by this Heapwatch's scraper and collector. */
function assertSameCluster(service: ecs.FargateService, target: WatchTarget): void {
  if (target.cluster !== undefined) {
    assertSameClusterConstruct(service, target.cluster);
    return;
  }
  const clusterName = target.clusterName;
  const serviceCluster = service.cluster.clusterName;
  if (clusterName === undefined || Token.isUnresolved(serviceCluster) || Token.isUnresolved(clusterName)) return;
  if (serviceCluster !== clusterName) {
    throw new HeapwatchValidationError(
      `service: '${service.node.path}' runs in cluster '${serviceCluster}', but this Heapwatch watches cluster '${clusterName}'. Create one Heapwatch per cluster and call watch() on the one for the service's cluster.`,
    );
  }
}

/**
 * Opens the admin port to the scraper and the collector only. The rules are resources of the service's stack, also
 * when the service's security group is defined elsewhere (e.g. a network stack): rules placed beside the group
 * would make that stack depend on the Heapwatch's, which depends on it.
 */
function openAdminPort(service: ecs.FargateService, target: WatchTarget, adminPort: number): void {
  const port = { ipProtocol: 'tcp', fromPort: adminPort, toPort: adminPort };
  service.connections.securityGroups.forEach((group, index) => {
    const suffix = index === 0 ? '' : String(index + 1);
    new ec2.CfnSecurityGroupIngress(service, `HeapwatchScraperIngress${suffix}`, {
      ...port,
      groupId: group.securityGroupId,
      sourceSecurityGroupId: target.scraperSecurityGroup.securityGroupId,
      description: 'heapwatch scraper to admin port',
    });
    new ec2.CfnSecurityGroupIngress(service, `HeapwatchCollectorIngress${suffix}`, {
      ...port,
      groupId: group.securityGroupId,
      sourceSecurityGroupId: target.collectorSecurityGroup.securityGroupId,
      description: 'heapwatch collector to admin port',
    });
    // The collector's group allows no outbound traffic but what it is given.
    new ec2.CfnSecurityGroupEgress(service, `HeapwatchCollectorEgress${suffix}`, {
      ...port,
      groupId: target.collectorSecurityGroup.securityGroupId,
      destinationSecurityGroupId: group.securityGroupId,
      description: 'heapwatch collector to admin port',
    });
  });
}
