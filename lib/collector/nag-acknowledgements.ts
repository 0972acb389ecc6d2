import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { flattenNagResource } from '../nag/acknowledge-wildcards';

const WILDCARD_REASON =
  'Scoped resource wildcards only, never a wildcard action: objects under <cluster>/ of the snapshot bucket, ' +
  'tasks of this cluster (ListTasks takes no resource, so it has an ecs:cluster condition), executions and versions of ' +
  'this collector’s own state machine and functions, a KMS key imported by alias (any key of the account under a ' +
  'kms:ResourceAliases condition on that alias), the X-Ray/log-delivery ' +
  'actions of Step Functions and ecr:GetAuthorizationToken of the analysis task, which take no resource.';

/**
 * Acknowledges cdk-nag AwsSolutions-IAM5 findings on the default policy of each role, finding by finding, from what
 * the policy actually holds. Only resource wildcards are acknowledged: a wildcard action stays a finding. cdk-nag names a finding after
 * the flattened resource (`Resource::<Bucket.Arn>/<Cluster>/*`), so resources are flattened the same way.
 */
export function acknowledgeScopedWildcards(roles: readonly (iam.IRole | undefined)[]): void {
  for (const role of roles) {
    const policy = role?.node.tryFindChild('DefaultPolicy');
    if (!(policy instanceof iam.Policy)) continue;
    const document = Stack.of(policy).resolve(policy.document) as { Statement?: Statement[] };
    const ids = new Set<string>();
    for (const statement of document.Statement ?? []) {
      for (const resource of asList(statement.Resource)) {
        const flat = flattenNagResource(resource);
        if (flat.includes('*')) ids.add(`AwsSolutions-IAM5[Resource::${flat}]`);
      }
    }
    for (const id of ids) Validations.of(policy).acknowledge({ id, reason: WILDCARD_REASON });
  }
}

/** The Lambda basics every function needs: AWS managed policies for logs and VPC network interfaces; Node.js 22 pinned. */
export function acknowledgeLambdaBasics(scope: IConstruct): void {
  for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
      reason: `${policy} is the AWS managed policy for CloudWatch Logs and VPC network interfaces of a Lambda function.`,
    });
  }
  Validations.of(scope).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'The collector pins NODEJS_24_X, the runtime it is built and tested for.',
  });
}

interface Statement {
  readonly Resource?: unknown;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** The analysis task's environment holds names (bucket, topic ARN, series state), never a secret. */
export function acknowledgePlainTaskEnvironment(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The analysis task gets the bucket name, the report topic ARN and the series state (S3 keys, sizes, hashes) as environment: no secrets.',
  });
}
