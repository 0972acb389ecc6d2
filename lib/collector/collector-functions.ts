import { Duration, RemovalPolicy, type Size } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HEAPWATCH_LAMBDA_HANDLER, HEAPWATCH_LAMBDA_RUNTIME, heapwatchLambdaCode } from '../lambda-code';

export interface CollectorFunctionProps {
  readonly vpc: ec2.IVpc;
  /** Where the functions run (private subnets of the cluster's VPC). */
  readonly subnets: ec2.SubnetSelection;
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
 * One collector Lambda: Node.js 24 on arm64 in the cluster's private subnets, its handler bundled with the AWS SDK
 * inside (lib/lambda-code.ts). JSON logs, kept a month.
 */
export class CollectorFunction extends Construct {
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: CollectorFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new lambda.Function(this, 'Resource', {
      code: heapwatchLambdaCode(props.handler),
      handler: HEAPWATCH_LAMBDA_HANDLER,
      runtime: HEAPWATCH_LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      ephemeralStorageSize: props.ephemeralStorageSize,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'heapwatch-collector',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
  }
}
