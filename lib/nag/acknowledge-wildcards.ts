import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 findings for these wildcard resources under `scope`, with a reason.
 * cdk-nag names a finding after the flattened resource (`Resource::arn:<AWS::Partition>:ecs:…:task/<Cluster>/*`),
 * so the resource is flattened the same way here.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenNagResource(stack.resolve(resource))}]`,
      reason,
    });
  }
}

/** A resolved CloudFormation value written the way cdk-nag names it in a finding id. */
export function flattenNagResource(node: unknown): string {
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  }
  if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(flattenNagResource).join(delimiter);
    }
    if (Array.isArray(record['Fn::GetAtt'])) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenNagResource(resource)}.${flattenNagResource(attribute)}>`;
    }
    if (record.Ref !== undefined) {
      return `<${flattenNagResource(record.Ref)}>`;
    }
  }
  return JSON.stringify(node);
}
