import { Annotations, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import { statementText, valueText } from './statement-text';

/**
 * What a role needs of the KMS key of an encrypted SNS topic to publish to it, and of the key of an SSE-KMS bucket
 * to write and read objects (multipart uploads decrypt too). Exact actions: no `kms:GenerateDataKey*` wildcard.
 */
export const DATA_KEY_ACTIONS: readonly string[] = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Aliases of AWS managed keys (`alias/aws/sns`, `alias/aws/s3`): their key policies cannot be changed. */
export function isAwsManagedAlias(key: kms.IKey): boolean {
  const aliasName = (key as Partial<kms.IAlias>).aliasName;
  return aliasName !== undefined && !Token.isUnresolved(aliasName) && aliasName.startsWith('alias/aws/');
}

/**
 * Lets `grantee` use `key` for data keys (DATA_KEY_ACTIONS), `what` naming what the key encrypts (for warnings).
 * Never writes an alias ARN into a policy, where it would grant nothing:
 * - an AWS managed key (`alias/aws/…`): no grant; its key policy already allows every principal of the account
 *   through the service;
 * - an alias made in this app: the grant goes to the key behind it;
 * - an imported alias: all keys of its account and region, under a `kms:ResourceAliases` condition on the alias;
 * - a key: `key.grant`. When the key is imported from another account, its key policy must also allow the grantee,
 *   which heapwatch cannot change: a warning (`@heapwatch/kms:key-policy`) gives the statement to add.
 */
export function grantKeyUse(key: kms.IKey | undefined, grantee: iam.IGrantable & IConstruct, what: string): void {
  if (key === undefined || isAwsManagedAlias(key)) return;
  if (key instanceof kms.Alias) {
    grantKeyUse(key.aliasTargetKey, grantee, what);
    return;
  }
  const actions = [...DATA_KEY_ACTIONS];
  const aliasName = (key as Partial<kms.IAlias>).aliasName;
  if (aliasName !== undefined) {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [Stack.of(key).formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliasName } },
    });
    return;
  }
  key.grant(grantee, ...actions);
  if (!(key instanceof kms.Key) && isFromAnotherAccount(key, grantee)) {
    const statement = new iam.PolicyStatement({
      principals: [grantee.grantPrincipal],
      actions,
      resources: ['*'],
    });
    Annotations.of(grantee).addWarningV2(
      '@heapwatch/kms:key-policy',
      `heapwatch cannot change the key policy of the imported KMS key ${valueText(grantee, key.keyArn)} of another account, which encrypts ${what}: add this statement to that key policy, or '${grantee.node.path}' cannot use the key: ${statementText(grantee, statement)}`,
    );
  }
}

function isFromAnotherAccount(key: kms.IKey, grantee: IConstruct): boolean {
  return Token.compareStrings(key.env.account, Stack.of(grantee).account) === TokenComparison.DIFFERENT;
}
