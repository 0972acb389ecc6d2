import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { HeapwatchValidationError } from './validation-error';
import { type WatchOptions, type WatchTarget, watchService } from './watch/watch-service';

/** A Heapwatch that services can join: the one defined in this app, or one imported from another app. */
export interface IHeapwatch {
  /** Watches a Fargate service whose container embeds the heapwatch agent (see `Heapwatch.watch`). */
  watch(service: ecs.FargateService, options?: WatchOptions): void;
}

/**
 * What a service in another CDK app needs to join a Heapwatch: plain values, no references into its stacks.
 * `Heapwatch` writes them as SSM parameters when given `parameterPrefix`.
 */
export interface HeapwatchAttributes {
  /**
   * The name of the cluster the Heapwatch watches; when given, `watch()` checks that the service runs there.
   * @default - not checked
   */
  readonly clusterName?: string;
  /** The security group of the Heapwatch's Prometheus agent. */
  readonly scraperSecurityGroupId: string;
  /** The security group of the Heapwatch's collector (its Lambda functions). */
  readonly collectorSecurityGroupId: string;
  /** The public keys the agents accept, comma-separated (the value of `HEAPWATCH_PUBLIC_KEYS`). */
  readonly publicKeys: string;
  /** The topic the backstop alarms go to (the Heapwatch's alarm topic). */
  readonly alarmTopicArn: string;
  /** Memory utilisation (percent of the task's memory) that raises the backstop alarm. @default 90 */
  readonly memoryAlarmThresholdPercent?: number;
}

/** The SSM parameter names under a prefix, one per attribute. */
export function heapwatchParameterNames(
  prefix: string,
): Record<keyof Omit<HeapwatchAttributes, 'memoryAlarmThresholdPercent'>, string> {
  return {
    clusterName: `${prefix}/cluster-name`,
    scraperSecurityGroupId: `${prefix}/scraper-security-group-id`,
    collectorSecurityGroupId: `${prefix}/collector-security-group-id`,
    publicKeys: `${prefix}/public-keys`,
    alarmTopicArn: `${prefix}/alarm-topic-arn`,
  };
}

const PARAMETER_PREFIX = /^(\/[A-Za-z0-9_.-]+)+$/;

export function assertParameterPrefix(prop: string, prefix: string): void {
  if (!PARAMETER_PREFIX.test(prefix)) {
    throw new HeapwatchValidationError(
      `${prop}: ${JSON.stringify(prefix)} is not an SSM parameter path. Use a path such as '/heapwatch/prod' (letters, digits, '_', '.', '-' between slashes, no trailing slash).`,
    );
  }
}

/**
 * A Heapwatch of another CDK app (or deployed by other means), joined with plain values. `watch()` creates
 * everything in the service's own stack: the security group rules, the environment, the tags, the backstop alarm.
 */
export class ImportedHeapwatch extends Construct implements IHeapwatch {
  private readonly target: WatchTarget;

  constructor(scope: Construct, id: string, attributes: HeapwatchAttributes) {
    super(scope, id);
    this.target = {
      clusterName: attributes.clusterName,
      scraperSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'Scraper', attributes.scraperSecurityGroupId),
      // The collector's group allows only the outbound traffic it was given: the rule to each service is added.
      collectorSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'Collector',
        attributes.collectorSecurityGroupId,
        {
          allowAllOutbound: false,
        },
      ),
      publicKeys: attributes.publicKeys,
      alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', attributes.alarmTopicArn),
      memoryAlarmThresholdPercent: attributes.memoryAlarmThresholdPercent ?? 90,
    };
  }

  /** Reads the attributes from the SSM parameters a Heapwatch wrote under `prefix`, at deploy time. */
  static fromParameters(
    scope: Construct,
    id: string,
    prefix: string,
    options: { memoryAlarmThresholdPercent?: number } = {},
  ): ImportedHeapwatch {
    assertParameterPrefix('prefix', prefix);
    const names = heapwatchParameterNames(prefix);
    const value = (name: string) => ssm.StringParameter.valueForStringParameter(scope, name);
    // The cluster name is not read: a deploy-time value cannot be compared at synthesis.
    return new ImportedHeapwatch(scope, id, {
      scraperSecurityGroupId: value(names.scraperSecurityGroupId),
      collectorSecurityGroupId: value(names.collectorSecurityGroupId),
      publicKeys: value(names.publicKeys),
      alarmTopicArn: value(names.alarmTopicArn),
      memoryAlarmThresholdPercent: options.memoryAlarmThresholdPercent,
    });
  }

  watch(service: ecs.FargateService, options: WatchOptions = {}): void {
    watchService(service, this.target, options);
  }
}
