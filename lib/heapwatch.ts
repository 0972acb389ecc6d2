import { Duration } from 'aws-cdk-lib';
import type * as aps from 'aws-cdk-lib/aws-aps';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HeapwatchTopics } from './alerting/alarm-topic';
import { type AmpWorkspaceAttributes, ManagedPrometheus } from './alerting/managed-prometheus';
import { SnapshotCollector, type SnapshotCollectorFunctions } from './collector';
import { GrafanaProvisioning } from './grafana/grafana-provisioning';
import type { GrafanaTarget } from './grafana/grafana-target';
import { PrometheusAgent } from './scraper/prometheus-agent';
import type { SigningKey } from './storage/signing-key';
import { DEFAULT_SIGNING_KEY_NAME, type SigningKeyNames, SigningKeys } from './storage/signing-keys';
import { SnapshotBucket } from './storage/snapshot-bucket';
import { serviceCaptureFreeze, tolerateCaptureInTargetGroups, warnOnContainerHealthCheck } from './watch/health-checks';
import {
  assertAdminPortFree,
  assertSameCluster,
  assertValidAdminPort,
  loadBalancedPorts,
  resolveAgentContainer,
} from './watch/watch-validation';

/** The agent's default admin port (wire protocol v2). */
export const DEFAULT_ADMIN_PORT = 9464;

export interface HeapwatchProps {
  /** The cluster whose services are watched; the scraper and the collector run in its VPC. */
  readonly cluster: ecs.ICluster;
  /** @default - a new AMP workspace with heapwatch's alert manager definition */
  readonly workspace?: AmpWorkspaceAttributes;
  /** Topic that alerts (AMP and CloudWatch) go to; the collector's trigger subscribes to it. @default - a new encrypted topic */
  readonly alarmTopic?: sns.ITopic;
  /** Topic that leak reports go to. @default - a new encrypted topic */
  readonly reportTopic?: sns.ITopic;
  /**
   * Grafana to provision the dashboards and the AMP data source into.
   * @default - none: import grafana/dashboards/*.json by hand (see README)
   */
  readonly grafana?: GrafanaTarget;
  /** Folder of dashboard JSON models to provision. @default - grafana/dashboards of this package */
  readonly dashboardsDir?: string;
  /** How long snapshots and reports are kept. @default Duration.days(14) */
  readonly snapshotRetention?: Duration;
  /** Bucket for the snapshot bucket's S3 server access logs. @default - none */
  readonly snapshotAccessLogsBucket?: s3.IBucket;
  /** Snapshots per series (same task, minutes apart). @default - the collector's default (3) */
  readonly snapshotCount?: number;
  /** Time between the snapshots of a series. @default - the collector's default */
  readonly snapshotInterval?: Duration;
  /**
   * The Ed25519 key pairs that sign snapshot tokens, by name: the collector signs with `current`, watched services
   * accept `current` and `alsoAccepted`. A name keeps its pair across deploys; rotate by adding a new name to
   * `alsoAccepted`, then making it `current`, then dropping the old name, one deploy each (docs/operations.md).
   * @default { current: 'initial' }
   */
  readonly signingKeys?: SigningKeyNames;
  /** Prometheus rule file for the workspace. @default - grafana/rules/heapwatch.rules.yml of this package */
  readonly rulesFile?: string;
  /** @default - the official prom/prometheus image, see DEFAULT_PROMETHEUS_IMAGE */
  readonly prometheusImage?: ecs.ContainerImage;
  /** @default Duration.seconds(30) */
  readonly scrapeInterval?: Duration;
  /** Memory utilisation (percent of the task's memory) that raises the CloudWatch backstop alarm. @default 90 */
  readonly memoryAlarmThresholdPercent?: number;
}

export interface WatchOptions {
  /** The container running the heapwatch agent. @default - the task's only container */
  readonly containerName?: string;
  /** Port of the agent's admin server (`/metrics`, `/heap/snapshot`). @default 9464 */
  readonly adminPort?: number;
}

/**
 * Heap observability for the Fargate services of one cluster: `new Heapwatch(this, 'Heapwatch', { cluster })`
 * then `heapwatch.watch(service)` for each service that embeds the heapwatch agent.
 */
export class Heapwatch extends Construct {
  readonly cluster: ecs.ICluster;
  readonly bucket: s3.Bucket;
  /** The key the collector signs snapshot tokens with (`signingKeys.current`). */
  readonly signingKey: SigningKey;
  /**
   * The public keys watched services accept, ordered by key name: what `watch()` sets as `HEAPWATCH_PUBLIC_KEYS`
   * (joined with commas), for agents that heapwatch does not watch. Tokens, resolved at deploy time.
   */
  readonly publicKeys: string[];
  readonly alarmTopic: sns.ITopic;
  readonly reportTopic: sns.ITopic;
  readonly prometheus: ManagedPrometheus;
  readonly scraper: PrometheusAgent;
  /** Takes the snapshot series of a leaking task (subscribed to the alarm topic). */
  readonly collector: SnapshotCollector;
  /** Present when a Grafana target was given. */
  readonly grafana?: GrafanaProvisioning;
  private readonly signingKeys: SigningKeys;
  private readonly memoryAlarmThresholdPercent: number;
  private readonly watched = new Set<ecs.FargateService>();

  constructor(scope: Construct, id: string, props: HeapwatchProps) {
    super(scope, id);
    this.cluster = props.cluster;
    this.memoryAlarmThresholdPercent = props.memoryAlarmThresholdPercent ?? 90;
    this.bucket = new SnapshotBucket(this, 'Snapshots', {
      retention: props.snapshotRetention,
      accessLogsBucket: props.snapshotAccessLogsBucket,
    }).bucket;
    this.signingKeys = new SigningKeys(this, 'SigningKeys', props.signingKeys ?? { current: DEFAULT_SIGNING_KEY_NAME });
    this.signingKey = this.signingKeys.current;
    this.publicKeys = this.signingKeys.accepted.map((key) => key.publicKey);
    const topics = new HeapwatchTopics(this, 'Topics', {
      alarmTopic: props.alarmTopic,
      reportTopic: props.reportTopic,
    });
    this.alarmTopic = topics.alarms;
    this.reportTopic = topics.reports;
    this.prometheus = new ManagedPrometheus(this, 'Prometheus', {
      alarmTopic: this.alarmTopic,
      workspace: props.workspace,
      rulesFile: props.rulesFile,
    });
    topics.allowWorkspace(this.prometheus.workspaceArn);
    this.scraper = new PrometheusAgent(this, 'Scraper', {
      cluster: props.cluster,
      remoteWriteUrl: this.prometheus.remoteWriteUrl,
      image: props.prometheusImage,
      scrapeInterval: props.scrapeInterval ? `${props.scrapeInterval.toSeconds()}s` : undefined,
    });
    this.prometheus.grantRemoteWrite(this.scraper.taskDefinition.taskRole);
    this.collector = new SnapshotCollector(this, 'Collector', {
      cluster: props.cluster,
      bucket: this.bucket,
      signingKeySecret: this.signingKey.secret,
      alarmTopic: this.alarmTopic,
      reportTopic: this.reportTopic,
      snapshotCount: props.snapshotCount,
      snapshotInterval: props.snapshotInterval,
    });
    if (props.grafana) {
      this.grafana = new GrafanaProvisioning(this, 'Grafana', {
        target: props.grafana,
        prometheus: this.prometheus,
        clusterName: props.cluster.clusterName,
        dashboardsDir: props.dashboardsDir,
      });
    }
  }

  /** The AMP workspace heapwatch created (undefined when an existing workspace was passed). */
  get workspace(): aps.CfnWorkspace | undefined {
    return this.prometheus.workspace;
  }

  /** The collector's Step Functions state machine (one execution per snapshot series). */
  get stateMachine(): sfn.StateMachine {
    return this.collector.stateMachine;
  }

  /** The collector's Lambda functions. */
  get functions(): SnapshotCollectorFunctions {
    return this.collector.functions;
  }

  /** The alert manager definition heapwatch needs (set for you unless you passed an existing workspace). */
  get alertManagerDefinition(): string {
    return this.prometheus.alertManagerDefinition;
  }

  /**
   * Watches a Fargate service whose container embeds the heapwatch agent: maps the admin port (reachable only
   * from the scraper and the collector), gives the agent the accepted public keys (`HEAPWATCH_PUBLIC_KEYS`: public,
   * so plain environment; the service gets no access to any private key), scrapes it, lets the collector capture it,
   * adds a CloudWatch memory alarm as a backstop, and makes the ALB health checks survive a capture.
   */
  watch(service: ecs.FargateService, options: WatchOptions = {}): void {
    const adminPort = options.adminPort ?? DEFAULT_ADMIN_PORT;
    assertValidAdminPort(adminPort);
    if (this.watched.has(service)) {
      throw new Error(
        `service: '${service.node.path}' is already watched by this Heapwatch. Call watch() once per service.`,
      );
    }
    assertSameCluster(service, this.cluster);
    const container = resolveAgentContainer(service, options.containerName);
    assertAdminPortFree(service, adminPort);
    this.watched.add(service);

    container.addPortMappings({ containerPort: adminPort, name: 'heapwatch-admin', protocol: ecs.Protocol.TCP });
    container.addEnvironment('HEAPWATCH_ADMIN_PORT', String(adminPort));
    container.addEnvironment('HEAPWATCH_PUBLIC_KEYS', this.signingKeys.publicKeys);
    service.connections.allowFrom(this.scraper, ec2.Port.tcp(adminPort), 'heapwatch scraper to admin port');
    service.connections.allowFrom(this.collector, ec2.Port.tcp(adminPort), 'heapwatch collector to admin port');
    service.node.addValidation({
      validate: () =>
        loadBalancedPorts(service).includes(adminPort)
          ? [
              `the heapwatch admin port ${adminPort} of '${service.node.path}' is registered with a load balancer. Snapshots hold user data and must never be reachable through it: register the service's traffic port instead.`,
            ]
          : [],
    });

    this.scraper.addTarget({ serviceName: service.serviceName, adminPort });
    this.collector.registerService(service.serviceName, adminPort);

    const freeze = serviceCaptureFreeze(service);
    tolerateCaptureInTargetGroups(service, freeze);
    warnOnContainerHealthCheck(service, container, freeze);
    this.addMemoryAlarm(service);
  }

  /** Lets the grantee read snapshots and reports. */
  grantSnapshotRead(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee);
  }

  /**
   * Lets the grantee read the current signing key's secret, i.e. sign snapshot tokens (e.g. the role an engineer runs
   * the CLI with). The grant follows `signingKeys.current`.
   */
  grantTokenSigning(grantee: iam.IGrantable): iam.Grant {
    return this.signingKey.grantSigning(grantee);
  }

  private addMemoryAlarm(service: ecs.FargateService): void {
    const alarm = new cloudwatch.Alarm(service, 'HeapwatchMemoryAlarm', {
      alarmDescription: `heapwatch backstop: memory of ${service.node.path} above ${this.memoryAlarmThresholdPercent}% for 10 minutes (fires even when the Prometheus path is down).`,
      metric: service.metricMemoryUtilization({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: this.memoryAlarmThresholdPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 10,
      datapointsToAlarm: 10,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic));
  }
}
