import { Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag/acknowledge-wildcards';
import { renderScrapeConfig } from './scrape-config';

/** The official image; ECS service discovery (`aws_sd_configs` role `ecs`) needs Prometheus 3.8 or later. */
export const DEFAULT_PROMETHEUS_IMAGE = 'prom/prometheus:v3.8.0';

export interface PrometheusAgentProps {
  readonly cluster: ecs.ICluster;
  /** `<workspace prometheus endpoint>api/v1/remote_write` */
  readonly remoteWriteUrl: string;
  /** @default ecs.ContainerImage.fromRegistry(DEFAULT_PROMETHEUS_IMAGE) */
  readonly image?: ecs.ContainerImage;
  /** @default '30s' */
  readonly scrapeInterval?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Environment variable that carries the generated configuration into the stock image. */
const CONFIG_ENV = 'HEAPWATCH_PROMETHEUS_CONFIG';
const CONFIG_FILE = '/prometheus/heapwatch.yml';

/**
 * Prometheus in agent mode as a one-task Fargate service: discovers the tasks of services tagged by `watch()`
 * through the ECS API, scrapes their admin ports and remote-writes to AMP. The configuration is rendered at synth
 * time into an environment variable that the container command writes to disk, so no custom image is needed.
 */
export class PrometheusAgent extends Construct implements ec2.IConnectable {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: PrometheusAgentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    // Watched services are found by their tags, in whatever stack or app they are defined: the configuration does
    // not change when one is added.
    const config = renderScrapeConfig({
      region: stack.region,
      clusterArn: props.cluster.clusterArn,
      remoteWriteUrl: props.remoteWriteUrl,
      scrapeInterval: props.scrapeInterval,
    });
    this.taskDefinition.addContainer('prometheus', {
      image: props.image ?? ecs.ContainerImage.fromRegistry(DEFAULT_PROMETHEUS_IMAGE),
      entryPoint: ['/bin/sh', '-c'],
      command: [
        `printf '%s' "$${CONFIG_ENV}" > ${CONFIG_FILE} && exec /bin/prometheus --agent --config.file=${CONFIG_FILE} --storage.agent.path=/prometheus/agent --web.listen-address=127.0.0.1:9090`,
      ],
      environment: { [CONFIG_ENV]: config },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'prometheus',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH }),
      }),
      essential: true,
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The only environment variable is the generated Prometheus configuration (no secret: AWS credentials come from the task role); an environment variable makes every configuration change roll the task.',
    });
    this.grantDiscovery(props.cluster);
    this.service = new ecs.FargateService(this, 'Resource', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      // Two agents would write every sample twice; a gap of one task restart is acceptable for heap trends.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { rollback: true },
    });
    this.connections = this.service.connections;
  }

  /** The task role's discovery permissions, scoped to the one cluster wherever ECS supports it. */
  private grantDiscovery(cluster: ecs.ICluster): void {
    const stack = Stack.of(this);
    const role = this.taskDefinition.taskRole;
    const inCluster = (type: 'service' | 'task') =>
      stack.formatArn({ service: 'ecs', resource: type, resourceName: `${cluster.clusterName}/*` });
    acknowledgeWildcardResources(
      role,
      ['*', inCluster('service'), inCluster('task')],
      'ECS discovery reads every service and task of the watched cluster (ARN prefix or ecs:cluster condition); DescribeClusters (credential probe on the default cluster) and ec2:DescribeNetworkInterfaces support no narrower resource.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeWatchedCluster',
        // Prometheus probes its credentials with an empty DescribeClusters (the account's "default" cluster).
        actions: ['ecs:DescribeClusters'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListInWatchedCluster',
        actions: ['ecs:ListServices', 'ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeInWatchedCluster',
        actions: ['ecs:DescribeServices', 'ecs:DescribeTasks'],
        resources: [inCluster('service'), inCluster('task')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTaskNetworkInterfaces',
        // EC2 Describe* actions support no resource-level permissions.
        actions: ['ec2:DescribeNetworkInterfaces'],
        resources: ['*'],
      }),
    );
  }
}
