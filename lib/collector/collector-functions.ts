import * as path from 'node:path';
import { Duration, RemovalPolicy, type Size } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface CollectorFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** File name in `lambda/`, without `.ts`. */
  readonly handler: 'trigger' | 'discover' | 'capture' | 'analyze';
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default Size.mebibytes(512) */
  readonly ephemeralStorageSize?: Size;
  readonly environment?: Record<string, string>;
}

/**
 * One collector Lambda: Node.js 22 on arm64 in the cluster's private subnets, bundled by the local esbuild (never
 * Docker) with the AWS SDK inside, so the code runs against the SDK versions it was tested with. JSON logs, kept a month.
 */
export class CollectorFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: CollectorFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Resource', {
      entry: path.join(PROJECT_ROOT, 'lambda', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      ephemeralStorageSize: props.ephemeralStorageSize,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      securityGroups: [props.securityGroup],
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment: { POWERTOOLS_SERVICE_NAME: 'heapwatch-collector', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        externalModules: [],
      },
    });
  }
}
