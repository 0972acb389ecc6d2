import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { stageHandlerBundle } from '../lambda-code';

/**
 * The image holds the analysis's bundle on the official Node.js 24 image; no RUN step, so `cdk deploy` builds it for
 * arm64 on any machine with Docker, without emulation.
 */
const DOCKERFILE = `# heapwatch analysis task: the analysis function's code, for series too big for Lambda.
FROM public.ecr.aws/docker/library/node:24-bookworm-slim
WORKDIR /heapwatch
COPY *.js *.js.map ./
USER node
ENTRYPOINT ["node", "--enable-source-maps", "/heapwatch/index.js"]
`;

/**
 * Fargate's largest ephemeral storage: the task downloads the series (three snapshots of up to ~30 GiB each at the
 * largest task size) before it analyses them. Storage beyond 20 GiB is billed only while a task runs.
 */
const EPHEMERAL_STORAGE_GIB = 200;

export interface AnalysisTaskProps {
  /** Where the task runs (the collector's VPC). */
  readonly vpc: ec2.IVpc;
  /** Environment of the container (bucket, report topic). */
  readonly environment: Record<string, string>;
}

/**
 * The task definition the state machine runs (ecs:runTask.sync) when a series is too big for the analysis function.
 * Its size here is the smallest; each run sets cpu and memory from the series' largest snapshot.
 */
export class AnalysisTask extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  /** Its own group, HTTPS out only: the task parses heap data and needs to reach nothing but AWS APIs. */
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: AnalysisTaskProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'heapwatch analysis task: reaches AWS APIs (S3, SNS, ECR, CloudWatch Logs) only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs (S3, SNS, ECR, CloudWatch Logs)');
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Resource', {
      cpu: 4096,
      memoryLimitMiB: 8192,
      ephemeralStorageGiB: EPHEMERAL_STORAGE_GIB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.container = this.taskDefinition.addContainer('analysis', {
      image: ecs.ContainerImage.fromAsset(stagedImageDirectory(Stack.of(this).bundlingRequired), {
        platform: Platform.LINUX_ARM64,
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'analysis', logGroup }),
      environment: { POWERTOOLS_SERVICE_NAME: 'heapwatch-collector', ...props.environment },
    });
  }
}

/** One staged folder per process and kind: every collector of an app gets the same image. */
const staged = new Map<'bundled' | 'placeholder', string>();

/**
 * A folder with the Dockerfile and the bundle, removed when the process ends (the asset is copied into cdk.out).
 * A stack synthesized without bundling (`cdk synth --exclusively` another stack, tests that skip it) gets a
 * placeholder instead of the bundle, as its Lambda functions do; it is not deployed.
 */
function stagedImageDirectory(bundle: boolean): string {
  const kind = bundle ? 'bundled' : 'placeholder';
  const existing = staged.get(kind);
  if (existing !== undefined) return existing;
  const directory = mkdtempSync(path.join(tmpdir(), 'heapwatch-analysis-image-'));
  if (staged.size === 0)
    process.once('exit', () => {
      for (const folder of staged.values()) rmSync(folder, { recursive: true, force: true });
    });
  staged.set(kind, directory);
  if (bundle) stageHandlerBundle('analysis-task', directory);
  else {
    writeFileSync(path.join(directory, 'index.js'), 'throw new Error("heapwatch: synthesized without bundling");\n');
    writeFileSync(path.join(directory, 'index.js.map'), '{}\n');
  }
  writeFileSync(path.join(directory, 'Dockerfile'), DOCKERFILE);
  return directory;
}
