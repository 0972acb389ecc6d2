import * as path from 'node:path';
import { App, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResources, GrafanaTarget, Heapwatch } from '../lib';

/** Context key: a registry image for the demo service instead of building demo/Dockerfile. */
export const DEMO_IMAGE_CONTEXT = 'heapwatch:demoImage';
/**
 * Context key: where to provision the dashboards. `managed` creates an Amazon Managed Grafana workspace (needs IAM
 * Identity Center); `https://…` provisions into that Grafana with the token in secret `heapwatch:grafanaTokenSecret`.
 */
export const GRAFANA_CONTEXT = 'heapwatch:grafana';
export const GRAFANA_TOKEN_SECRET_CONTEXT = 'heapwatch:grafanaTokenSecret';
/** Context key: which leak the demo runs (demo/leaks: none, memoize, listeners, request-log). */
export const DEMO_LEAK_CONTEXT = 'heapwatch:demoLeak';
/** Port the demo shop serves its pages on (the agent's admin port is heapwatch's default, 9464). */
export const DEMO_TRAFFIC_PORT = 8080;

const projectRoot = path.join(__dirname, '..');

export interface HeapwatchDemoStackProps extends StackProps {
  /** Prometheus rule file for the workspace. @default - heapwatch's grafana/rules/heapwatch.rules.yml */
  readonly rulesFile?: string;
  /** Dashboards to provision when a Grafana target is set. @default - heapwatch's grafana/dashboards */
  readonly dashboardsDir?: string;
}

/**
 * The deployable demo: a VPC, a cluster, the leaky demo service behind an ALB, and heapwatch watching it.
 * Environment-agnostic, so `cdk synth` needs no credentials.
 */
export class HeapwatchDemoStack extends Stack {
  readonly heapwatch: Heapwatch;
  readonly demo: ecsPatterns.ApplicationLoadBalancedFargateService;

  constructor(scope: Construct, id: string, props: HeapwatchDemoStackProps = {}) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.demo = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Demo', {
      cluster,
      cpu: 512,
      memoryLimitMiB: 2048,
      desiredCount: 2,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true },
      taskImageOptions: {
        image: demoImage(this),
        containerName: 'demo',
        containerPort: DEMO_TRAFFIC_PORT,
        environment: {
          PORT: String(DEMO_TRAFFIC_PORT),
          HEAPWATCH_LEAK: (this.node.tryGetContext(DEMO_LEAK_CONTEXT) as string | undefined) ?? 'memoize',
        },
      },
    });

    this.heapwatch = new Heapwatch(this, 'Heapwatch', {
      cluster,
      rulesFile: props.rulesFile,
      dashboardsDir: props.dashboardsDir,
      grafana: grafanaTarget(this),
    });
    this.heapwatch.watch(this.demo.service);

    new CfnOutput(this, 'SnapshotBucket', { value: this.heapwatch.bucket.bucketName });
    new CfnOutput(this, 'ReportTopic', { value: this.heapwatch.reportTopic.topicArn });
    // The name of the secret holding the current signing key (not the key): for `heapwatch capture --url` on call.
    new CfnOutput(this, 'SigningKeySecret', { value: this.heapwatch.signingKey.secret.secretName });
    acknowledgeDemoFindings(this.demo);
  }
}

function grafanaTarget(scope: Construct): GrafanaTarget | undefined {
  const target = scope.node.tryGetContext(GRAFANA_CONTEXT) as string | undefined;
  if (!target) {
    return undefined;
  }
  if (target === 'managed') {
    return GrafanaTarget.managedWorkspace();
  }
  const secretName = scope.node.tryGetContext(GRAFANA_TOKEN_SECRET_CONTEXT) as string | undefined;
  if (!/^https:\/\//.test(target) || !secretName) {
    throw new Error(
      `${GRAFANA_CONTEXT}: '${target}' is neither 'managed' nor an https:// URL with ${GRAFANA_TOKEN_SECRET_CONTEXT} set. Pass -c ${GRAFANA_CONTEXT}=managed, or -c ${GRAFANA_CONTEXT}=https://grafana.example.com -c ${GRAFANA_TOKEN_SECRET_CONTEXT}=<secret name>.`,
    );
  }
  return GrafanaTarget.existing({
    url: target,
    apiToken: secretsmanager.Secret.fromSecretNameV2(scope, 'GrafanaToken', secretName),
  });
}

function demoImage(scope: Construct): ecs.ContainerImage {
  const registryImage = scope.node.tryGetContext(DEMO_IMAGE_CONTEXT) as string | undefined;
  if (registryImage) {
    return ecs.ContainerImage.fromRegistry(registryImage);
  }
  // Staging an image asset copies the build context; Docker only runs at deploy (cdk-assets), never at synth.
  return ecs.ContainerImage.fromAsset(projectRoot, {
    file: 'demo/Dockerfile',
    // Only what demo/Dockerfile copies, so edits elsewhere (lib/, tests) do not change the image hash.
    exclude: [
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!build',
      '!agent',
      '!demo',
      '**/dist',
      '**/node_modules',
    ],
  });
}

/** What the demo's public web tier deliberately leaves out, acknowledged with reasons (not part of heapwatch). */
function acknowledgeDemoFindings(demo: ecsPatterns.ApplicationLoadBalancedFargateService): void {
  Validations.of(demo.loadBalancer).acknowledge({
    id: 'AwsSolutions-ELB2',
    reason:
      'Demo load balancer: its access logs would hold nothing but synthetic load; production services keep theirs.',
  });
  Validations.of(demo.loadBalancer).acknowledge({
    id: 'AwsSolutions-EC23',
    reason: 'The demo is a public website on port 80; only the traffic port is open, never the heapwatch admin port.',
  });
  if (demo.taskDefinition.executionRole) {
    acknowledgeWildcardResources(
      demo.taskDefinition.executionRole,
      ['*'],
      'ecr:GetAuthorizationToken (pulling the demo image asset) supports no resource-level permission.',
    );
  }
  Validations.of(demo.taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'Plain environment holds only PORT, HEAPWATCH_LEAK, HEAPWATCH_ADMIN_PORT and HEAPWATCH_PUBLIC_KEYS (public keys, which verify tokens and cannot sign them); the task holds no secret.',
  });
}

if (require.main === module) {
  const app = new App();
  new HeapwatchDemoStack(app, 'HeapwatchDemo', {
    description:
      'heapwatch demo: a leaky Koa service on Fargate, watched by heapwatch (AMP, alerts, snapshot collector).',
  });
}
