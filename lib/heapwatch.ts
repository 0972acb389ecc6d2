import type { Duration } from 'aws-cdk-lib';
import type * as aps from 'aws-cdk-lib/aws-aps';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { HeapwatchTopics } from './alerting/alarm-topic';
import { type AmpWorkspaceAttributes, ManagedPrometheus } from './alerting/managed-prometheus';
import { SnapshotCollector, type SnapshotCollectorFunctions } from './collector';
import { GrafanaProvisioning } from './grafana/grafana-provisioning';
import type { GrafanaTarget } from './grafana/grafana-target';
import {
  assertParameterPrefix,
  type HeapwatchAttributes,
  heapwatchParameterNames,
  type IHeapwatch,
  ImportedHeapwatch,
} from './imported-heapwatch';
import { PrometheusAgent } from './scraper/prometheus-agent';
import type { SigningKey } from './storage/signing-key';
import { DEFAULT_SIGNING_KEY_NAME, type SigningKeyNames, SigningKeys } from './storage/signing-keys';
import { SnapshotBucket } from './storage/snapshot-bucket';
import { type WatchOptions, type WatchTarget, watchService } from './watch/watch-service';

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
  /**
   * Steps per series (same task, minutes apart): a heap profile at each, snapshots at the first, middle and last.
   * @default - the collector's default (3)
   */
  readonly snapshotCount?: number;
  /** Time between the snapshots of a series. @default - the collector's default */
  readonly snapshotInterval?: Duration;
  /**
   * Analyse series with snapshots over 2 GiB on a Fargate task (a Docker image asset: `cdk deploy` needs Docker or
   * Finch). @default true
   */
  readonly fargateAnalysis?: boolean;
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
  /**
   * Write what services of other CDK apps need to join (`Heapwatch.fromParameters(scope, id, prefix)`) as SSM
   * parameters under this path, e.g. '/heapwatch/prod': the cluster name, the scraper's and the collector's security
   * groups, the public keys and the alarm topic. Plain values: nothing that signs a token.
   * @default - no parameters
   */
  readonly parameterPrefix?: string;
}

/**
 * Heap observability for the Fargate services of one cluster: `new Heapwatch(this, 'Heapwatch', { cluster })`
 * then `heapwatch.watch(service)` for each service that embeds the heapwatch agent.
 */
export class Heapwatch extends Construct implements IHeapwatch {
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
      signingPublicKey: this.signingKey.publicKey,
      alarmTopic: this.alarmTopic,
      reportTopic: this.reportTopic,
      snapshotCount: props.snapshotCount,
      snapshotInterval: props.snapshotInterval,
      fargateAnalysis: props.fargateAnalysis,
    });
    if (props.parameterPrefix !== undefined) this.writeParameters(props.parameterPrefix);
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
   * Watches a Fargate service whose container embeds the heapwatch agent, in any stack of the app: maps the admin
   * port (reachable only from the scraper and the collector), gives the agent the accepted public keys
   * (`HEAPWATCH_PUBLIC_KEYS`: public, so plain environment; the service gets no access to any private key), tags the
   * service so the scraper and the collector find it, adds a CloudWatch memory alarm as a backstop, and makes the ALB
   * health checks survive a capture. Everything it creates lives in the service's stack, which comes to depend on
   * this one, never the reverse.
   */
  watch(service: ecs.FargateService, options: WatchOptions = {}): void {
    watchService(service, this.watchTarget(), options);
  }

  /** Joins a Heapwatch of another app with plain values (see `parameterPrefix` for the SSM variant). */
  static fromAttributes(scope: Construct, id: string, attributes: HeapwatchAttributes): IHeapwatch {
    return new ImportedHeapwatch(scope, id, attributes);
  }

  /** Joins the Heapwatch of another app that wrote its SSM parameters under `prefix` (its `parameterPrefix`). */
  static fromParameters(
    scope: Construct,
    id: string,
    prefix: string,
    options: { readonly memoryAlarmThresholdPercent?: number } = {},
  ): IHeapwatch {
    return ImportedHeapwatch.fromParameters(scope, id, prefix, options);
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

  private watchTarget(): WatchTarget {
    return {
      cluster: this.cluster,
      clusterName: this.cluster.clusterName,
      scraperSecurityGroup: this.scraper.connections.securityGroups[0],
      collectorSecurityGroup: this.collector.connections.securityGroups[0],
      publicKeys: this.signingKeys.publicKeys,
      alarmTopic: this.alarmTopic,
      memoryAlarmThresholdPercent: this.memoryAlarmThresholdPercent,
    };
  }

  private writeParameters(prefix: string): void {
    assertParameterPrefix('parameterPrefix', prefix);
    const names = heapwatchParameterNames(prefix);
    const values: Record<keyof typeof names, string> = {
      clusterName: this.cluster.clusterName,
      scraperSecurityGroupId: this.scraper.connections.securityGroups[0].securityGroupId,
      collectorSecurityGroupId: this.collector.connections.securityGroups[0].securityGroupId,
      publicKeys: this.signingKeys.publicKeys,
      alarmTopicArn: this.alarmTopic.topicArn,
    };
    const parameters = new Construct(this, 'Parameters');
    for (const [key, name] of Object.entries(names) as [keyof typeof names, string][]) {
      new ssm.StringParameter(parameters, key, {
        parameterName: name,
        stringValue: values[key],
        description: 'heapwatch: for services of other CDK apps to join (Heapwatch.fromParameters)',
      });
    }
  }
}
