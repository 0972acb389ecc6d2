import { Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as cr from 'aws-cdk-lib/custom-resources';
import { acknowledgeWildcardResources } from './acknowledge-wildcards';

/**
 * Acknowledges what cdk-nag finds on a custom resource made of a heapwatch function and the aws-cdk-lib Provider
 * framework in front of it: the AWS managed logs policy of both functions, the framework function's runtime (chosen
 * by aws-cdk-lib) and the framework's permission to invoke any version of the handler.
 */
export function acknowledgeCustomResourceFramework(handler: lambda.IFunction, provider: cr.Provider): void {
  for (const scope of [handler, provider]) {
    Validations.of(scope).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole (CloudWatch Logs only) is the standard policy for these Lambda functions.',
    });
    Validations.of(scope).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The heapwatch handler pins NODEJS_24_X, the runtime it is built and tested for; the custom-resource framework function is managed by aws-cdk-lib.',
    });
  }
  acknowledgeWildcardResources(
    provider,
    [`${provider.onEventHandler?.functionArn ?? handler.functionArn}:*`],
    'The custom-resource framework invokes any version of its handler function (aws-cdk-lib default).',
  );
}
