import { Annotations, Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { grantKeyUse } from '../permissions/key-grants';
import { AnalysisTask } from './analysis-task';
import { CollectorFunction } from './collector-functions';
import {
  acknowledgeLambdaBasics,
  acknowledgePlainTaskEnvironment,
  acknowledgeScopedWildcards,
} from './nag-acknowledgements';
import { SeriesStateMachine } from './series-state-machine';

export interface SnapshotCollectorProps {
  /** The cluster whose services are captured; its VPC's private subnets host the functions. */
  readonly cluster: ecs.ICluster;
  /** Snapshots and reports land under `<cluster>/<service>/<taskId>/`. */
  readonly bucket: s3.IBucket;
  /**
   * Secret whose plain-string value is the Ed25519 private key the capture function signs snapshot tokens with
   * (standard base64 of DER PKCS8, e.g. a `SigningKey`'s secret). The watched services must accept its public key.
   */
  readonly signingKeySecret: secretsmanager.ISecret;
  /**
   * The public key of that private key, as the agents were given it: the capture then reports a secret changed
   * outside heapwatch as such, instead of as agents lacking the key.
   * @default - not checked
   */
  readonly signingPublicKey?: string;
  /** AMP alert manager notifications (JSON template) arrive here; the trigger function subscribes to it. */
  readonly alarmTopic: sns.ITopic;
  /** Where report summaries are published. @default - a new topic encrypted with the AWS managed SNS key */
  readonly reportTopic?: sns.ITopic;
  /**
   * Steps per series, 2 to 10: a heap profile at each, a snapshot at the steps the diff uses (all of 2 or 3; the
   * first, middle and last of more). @default 3
   */
  readonly snapshotCount?: number;
  /** Time between two snapshots of a series. @default Duration.minutes(5) */
  readonly snapshotInterval?: Duration;
  /**
   * Analyse series too big for the analysis function (snapshots over 2 GiB) on a Fargate task. Its image is a Docker
   * image asset, so `cdk deploy` needs Docker (or Finch); without it, such series get a report saying how to run the
   * diff on a bigger machine.
   * @default true
   */
  readonly fargateAnalysis?: boolean;
}

export interface SnapshotCollectorFunctions {
  readonly trigger: lambda.Function;
  readonly discover: lambda.Function;
  readonly capture: lambda.Function;
  readonly analyze: lambda.Function;
}

/**
 * Largest snapshot the analysis function takes on; bigger series are analysed by a Fargate task (AnalysisTask).
 * Measured (bench:analysis): diffing three snapshots peaks at ~3.2× the largest one (1.24 GiB RSS for
 * 358/375/394 MB files), so 2 GiB needs ~6.5 GB of the function's 10 GB; /tmp (10 GB) holds the three files.
 */
export const ANALYSIS_MAX_SNAPSHOT_SIZE = Size.gibibytes(2);
const ANALYSIS_MEMORY_MIB = 10_240;
const ANALYSIS_STORAGE = Size.gibibytes(10);

/**
 * Takes a series of heap snapshots of one task — on a firing heapwatch alert, or when started by hand — into S3,
 * analyses them and publishes a report. Open the services' admin ports to it with `service.connections.allowFrom(
 * collector, ec2.Port.tcp(adminPort))`. It captures only services tagged `heapwatch:admin-port` (what `watch()`
 * sets), reading the port and path from the tags, so it never references a service's stack.
 */
export class SnapshotCollector extends Construct implements ec2.IConnectable {
  readonly connections: ec2.Connections;
  readonly stateMachine: sfn.StateMachine;
  readonly reportTopic: sns.ITopic;
  readonly functions: SnapshotCollectorFunctions;
  /** Analyses series too big for the analysis function, run by the state machine (unless `fargateAnalysis` is off). */
  readonly analysisTask?: AnalysisTask;

  constructor(scope: Construct, id: string, props: SnapshotCollectorProps) {
    super(scope, id);
    const snapshotCount = props.snapshotCount ?? 3;
    const fargateAnalysis = props.fargateAnalysis ?? true;
    const interval = props.snapshotInterval ?? Duration.minutes(5);
    this.validateSeries(snapshotCount, interval);

    const { cluster, bucket } = props;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: cluster.vpc,
      description: 'heapwatch snapshot collector: reaches task admin ports and AWS APIs',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs (ECS, S3, Secrets Manager, SNS, Step Functions)',
    );
    this.connections = new ec2.Connections({ securityGroups: [securityGroup] });

    this.reportTopic =
      props.reportTopic ??
      new sns.Topic(this, 'ReportTopic', {
        displayName: 'heapwatch leak reports',
        masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
        enforceSSL: true,
      });

    const common = { vpc: cluster.vpc, subnets: this.privateSubnets(cluster.vpc), securityGroup };
    const discover = new CollectorFunction(this, 'Discover', {
      ...common,
      handler: 'discover',
      description: 'heapwatch: find the task of a snapshot series',
    }).function;
    const capture = new CollectorFunction(this, 'Capture', {
      ...common,
      handler: 'capture',
      description: 'heapwatch: capture one heap snapshot of a task into S3',
      memorySize: 512,
      timeout: Duration.minutes(15),
      environment: {
        HEAPWATCH_BUCKET: bucket.bucketName,
        HEAPWATCH_PRIVATE_KEY_ARN: props.signingKeySecret.secretArn,
        ...(props.signingPublicKey === undefined ? {} : { HEAPWATCH_SIGNING_PUBLIC_KEY: props.signingPublicKey }),
      },
    }).function;
    const analyze = new CollectorFunction(this, 'Analyze', {
      ...common,
      handler: 'analyze',
      description: 'heapwatch: diff a snapshot series and publish the leak report',
      memorySize: ANALYSIS_MEMORY_MIB,
      ephemeralStorageSize: ANALYSIS_STORAGE,
      timeout: Duration.minutes(15),
      environment: {
        HEAPWATCH_BUCKET: bucket.bucketName,
        HEAPWATCH_REPORT_TOPIC_ARN: this.reportTopic.topicArn,
        HEAPWATCH_MAX_ANALYSIS_BYTES: String(ANALYSIS_MAX_SNAPSHOT_SIZE.toBytes()),
        ...(fargateAnalysis ? { HEAPWATCH_FARGATE_ANALYSIS: 'enabled' } : {}),
        // Strings of the snapshot live on the V8 heap; the default limit would be far below the function's memory.
        NODE_OPTIONS: '--max-old-space-size=8192',
      },
    }).function;
    const analysisTask = fargateAnalysis
      ? new AnalysisTask(this, 'AnalysisTask', {
          vpc: cluster.vpc,
          environment: { HEAPWATCH_BUCKET: bucket.bucketName, HEAPWATCH_REPORT_TOPIC_ARN: this.reportTopic.topicArn },
        })
      : undefined;
    this.analysisTask = analysisTask;
    this.stateMachine = new SeriesStateMachine(this, 'Series', {
      discover,
      capture,
      analyze,
      reportTopic: this.reportTopic,
      analysisTask: analysisTask && {
        cluster,
        taskDefinition: analysisTask.taskDefinition,
        container: analysisTask.container,
        subnets: common.subnets,
        securityGroup: analysisTask.securityGroup,
      },
    }).stateMachine;
    const trigger = new CollectorFunction(this, 'Trigger', {
      ...common,
      handler: 'trigger',
      description: 'heapwatch: start a snapshot series on a firing heap alert',
      environment: {
        HEAPWATCH_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        HEAPWATCH_SNAPSHOT_COUNT: String(snapshotCount),
        HEAPWATCH_SNAPSHOT_INTERVAL_SECONDS: String(interval.toSeconds()),
        // Long enough that the repeats of one alert never start a second series of the same task.
        HEAPWATCH_SERIES_WINDOW_SECONDS: String(Math.max(3600, (snapshotCount - 1) * interval.toSeconds() + 1800)),
      },
    }).function;
    props.alarmTopic.addSubscription(new subscriptions.LambdaSubscription(trigger));
    this.functions = { trigger, discover, capture, analyze };

    this.grantLeastPrivilege(props);
    this.acknowledgeNagFindings();
  }

  private grantLeastPrivilege(props: SnapshotCollectorProps): void {
    const { trigger, discover, capture, analyze } = this.functions;
    const { cluster, bucket } = props;
    const objects = `${cluster.clusterName}/*`;
    const inCluster = { ArnEquals: { 'ecs:cluster': cluster.clusterArn } };
    const taskArns = Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${cluster.clusterName}/*`,
    });
    // The discovery reads the watched service's tags (its admin port and path).
    discover.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServices'],
        resources: [
          Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster.clusterName}/*` }),
        ],
      }),
    );
    for (const fn of [discover, capture]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: inCluster }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [taskArns], conditions: inCluster }),
      );
    }
    // No version-stage condition: GetSecretValue without a VersionStage (the default, AWSCURRENT) would not match it.
    // GetSecretValue only (grantRead adds DescribeSecret), on this one secret.
    capture.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.signingKeySecret.secretArn],
      }),
    );
    if (props.signingKeySecret.encryptionKey) props.signingKeySecret.encryptionKey.grantDecrypt(capture);
    // Exact actions rather than the grantRead/grantPut action groups (s3:GetObject*, s3:Abort*, kms:GenerateDataKey*):
    // multipart upload needs PutObject and AbortMultipartUpload, the size check HeadObject (GetObject), a corrupt
    // snapshot DeleteObject; the analysis reads snapshots and writes reports (and moves latest-report.json with
    // conditional puts, so it never reads a missing object and needs no ListBucket).
    const objectArns = [bucket.arnForObjects(objects)];
    capture.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'],
        resources: objectArns,
      }),
    );
    // The analysis function and the analysis task both read a series and write and publish its report.
    const reportWriters: (iam.IGrantable & IConstruct)[] = [analyze];
    if (this.analysisTask) reportWriters.push(this.analysisTask.taskDefinition.taskRole);
    for (const grantee of reportWriters) {
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject', 's3:PutObject'], resourceArns: objectArns });
      grantKeyUse(this.reportTopic.masterKey, grantee, 'the report topic');
      iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.reportTopic.topicArn] });
    }
    // The keys' own ARNs, never an alias ARN (which grants nothing); AWS managed keys need no grant (grantKeyUse).
    for (const reader of [capture, ...reportWriters]) grantKeyUse(bucket.encryptionKey, reader, 'the snapshot bucket');
    this.stateMachine.grantStartExecution(trigger);
    trigger.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] }),
    );
    this.stateMachine.grantExecution(trigger, 'states:StopExecution');
  }

  private acknowledgeNagFindings(): void {
    const { trigger, discover, capture, analyze } = this.functions;
    for (const fn of [trigger, discover, capture, analyze]) acknowledgeLambdaBasics(fn);
    const taskDefinition = this.analysisTask?.taskDefinition;
    acknowledgeScopedWildcards([
      trigger.role,
      discover.role,
      capture.role,
      analyze.role,
      this.stateMachine.role,
      taskDefinition?.taskRole,
      taskDefinition?.executionRole,
    ]);
    if (taskDefinition) acknowledgePlainTaskEnvironment(taskDefinition);
  }

  /** Private subnets with egress (NAT) when there are some; else isolated ones, which need VPC endpoints. */
  private privateSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
    if (vpc.privateSubnets.length > 0) return { subnets: vpc.privateSubnets };
    if (vpc.isolatedSubnets.length > 0) {
      Annotations.of(this).addWarning(
        'The cluster VPC has only isolated subnets: the collector reaches ECS, S3, Secrets Manager, SNS and Step Functions only through VPC endpoints for them, and its analysis task starts only with endpoints for ECR (api and dkr) and CloudWatch Logs too.',
      );
      return { subnets: vpc.isolatedSubnets };
    }
    throw new Error(
      'The cluster VPC has no private subnets: the collector must run inside the VPC (to reach the tasks’ admin ports) but never in public subnets; add private subnets',
    );
  }

  private validateSeries(snapshotCount: number, interval: Duration): void {
    if (
      !Token.isUnresolved(snapshotCount) &&
      (!Number.isInteger(snapshotCount) || snapshotCount < 2 || snapshotCount > 10)
    ) {
      throw new Error(
        `snapshotCount ${snapshotCount} is invalid: a diff needs 2 to 10 snapshots (3 is a good default)`,
      );
    }
    const seconds = interval.toSeconds();
    if (seconds > 3 * 3600) {
      throw new Error(
        `snapshotInterval ${interval.toHumanString()} is invalid: use at most 3 hours (5 minutes is a good default)`,
      );
    }
    if (!Token.isUnresolved(snapshotCount) && (snapshotCount - 1) * seconds > 20 * 3600) {
      throw new Error(
        `${snapshotCount} snapshots ${interval.toHumanString()} apart take more than 20 hours: use fewer snapshots or a shorter snapshotInterval`,
      );
    }
    if (seconds < 60) {
      Annotations.of(this).addWarning('snapshotInterval under a minute: snapshots this close show little growth');
    }
  }
}
