import { CfnElement, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * A policy statement as JSON a person can paste into a policy by hand, for warnings about what heapwatch cannot add
 * itself. Values known only at deploy time are written as placeholders: `<AWS::AccountId>`, `<Arn of Path/To/It>`.
 */
export function statementText(scope: IConstruct, statement: iam.PolicyStatement): string {
  const stack = Stack.of(scope);
  return JSON.stringify(humanize(stack.resolve(statement.toStatementJson()), logicalIdPaths(stack)));
}

/** A string for a message: itself, or with its deploy-time parts written as placeholders (see statementText). */
export function valueText(scope: IConstruct, value: string): string {
  const stack = Stack.of(scope);
  return flat(humanize(stack.resolve(value), logicalIdPaths(stack)));
}

/** Turns the CloudFormation intrinsics of a resolved value into readable placeholders. */
function humanize(node: unknown, paths: Map<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => humanize(item, paths));
  if (node === null || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const [key] = keys;
    const value = record[key];
    if (key === 'Ref' && typeof value === 'string') {
      return value.startsWith('AWS::') ? `<${value}>` : `<${paths.get(value) ?? value}>`;
    }
    if (key === 'Fn::GetAtt' && Array.isArray(value)) {
      const [logicalId, attribute] = value as [string, string];
      return `<${attribute} of ${paths.get(logicalId) ?? logicalId}>`;
    }
    if (key === 'Fn::Join' && Array.isArray(value)) {
      const [delimiter, parts] = value as [string, unknown[]];
      return parts.map((part) => flat(humanize(part, paths))).join(delimiter);
    }
    if (key.startsWith('Fn::')) return `<${key.slice(4)} ${JSON.stringify(value)}>`;
  }
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, humanize(value, paths)]));
}

function flat(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Logical ID → construct path of the resources in a stack (its own; other stacks' IDs stay IDs). */
function logicalIdPaths(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    if (CfnElement.isCfnElement(node) && Stack.of(node) === stack) {
      const logicalId = stack.resolve(node.logicalId);
      if (typeof logicalId === 'string') paths.set(logicalId, node.node.path.replace(/\/Resource$/, ''));
    }
  }
  return paths;
}
