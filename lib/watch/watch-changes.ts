import { Annotations, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { HeapwatchValidationError } from '../validation-error';
import {
  describeUnrelaxedTargetGroups,
  serviceCaptureFreeze,
  tolerateCaptureInTargetGroups,
  warnOnContainerHealthCheck,
} from './health-checks';
import { addMemoryAlarm } from './memory-alarm';
import { assertAdminPortFree, assertAdminPortMapped } from './watch-validation';

/**
 * Which of the changes `watch()` makes to resources of yours it makes. Turn one off when someone else owns that
 * resource; docs/constructs.md says what to do by hand instead.
 */
export interface WatchOwnershipOptions {
  /**
   * Map the admin port (TCP, named `heapwatch-admin`) on the agent's container. When false, the task definition must
   * already map it on that container, and `watch()` throws at synthesis if it does not.
   * @default true
   */
  readonly mapAdminPort?: boolean;
  /**
   * Relax the health checks of the target groups the service is registered in, so that the freeze of a heap snapshot
   * does not get the task replaced. Target groups of other stacks and imported ones are never changed: a warning
   * (`@heapwatch/watch:health-check`) gives the settings to apply by hand. When false, nothing is changed and an info
   * message gives the same settings.
   * @default true
   */
  readonly relaxHealthChecks?: boolean;
  /**
   * Add the CloudWatch backstop alarm (the service's `MemoryUtilization`, in the service's stack) that notifies the
   * alarm topic even when the Prometheus path is down.
   * @default true
   */
  readonly backstopAlarm?: boolean;
}

/** What `applyWatchChanges` needs besides the ownership options. */
export interface WatchChangesProps extends WatchOwnershipOptions {
  /** The agent's admin port. */
  readonly adminPort: number;
  /** Where the backstop alarm goes. */
  readonly alarmTopic: sns.ITopic;
  /** Memory utilisation (percent of the task's memory) that raises the backstop alarm. */
  readonly memoryAlarmThresholdPercent: number;
}

/**
 * The changes `watch()` makes to the service's own resources, each unless opted out: maps the admin port (or checks
 * that it is mapped), relaxes the load balancer health checks (or says what to set by hand), warns when the container
 * health check would fail during a capture, and adds the backstop alarm. Validates before it changes anything.
 */
export function applyWatchChanges(
  service: ecs.FargateService,
  container: ecs.ContainerDefinition,
  props: WatchChangesProps,
): void {
  const { adminPort } = props;
  const mapAdminPort = props.mapAdminPort ?? true;
  const relaxHealthChecks = props.relaxHealthChecks ?? true;
  const backstopAlarm = props.backstopAlarm ?? true;

  if (mapAdminPort) {
    assertAdminPortFree(service, adminPort, container);
  } else {
    assertAdminPortMapped(service, container, adminPort);
  }
  if (backstopAlarm) assertAlarmThreshold(service, props.memoryAlarmThresholdPercent);

  if (mapAdminPort) {
    container.addPortMappings({ containerPort: adminPort, name: 'heapwatch-admin', protocol: ecs.Protocol.TCP });
  }
  const freeze = serviceCaptureFreeze(service);
  if (relaxHealthChecks) {
    tolerateCaptureInTargetGroups(service, freeze);
  } else {
    const settings = describeUnrelaxedTargetGroups(service, freeze);
    if (settings !== undefined) Annotations.of(service).addInfo(settings);
  }
  // Read at synthesis: resolving the container definitions now would fix them, and lose the environment variables
  // and settings added after watch().
  service.node.addValidation({
    validate: () => {
      warnOnContainerHealthCheck(service, container, freeze);
      return [];
    },
  });
  if (backstopAlarm) {
    addMemoryAlarm(service, props.alarmTopic, props.memoryAlarmThresholdPercent);
  }
}

function assertAlarmThreshold(service: ecs.FargateService, percent: number): void {
  if (Token.isUnresolved(percent) || (percent > 0 && percent <= 100)) return;
  throw new HeapwatchValidationError(
    `memoryAlarmThresholdPercent: ${percent} is not a percentage of the task's memory. Pass a number above 0 and at most 100 (default 90), or backstopAlarm: false for no backstop alarm on '${service.node.path}'.`,
    service,
  );
}
