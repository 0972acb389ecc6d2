import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Annotations, Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { HeapwatchValidationError } from '../validation-error';
import { renderAlertManagerDefinition } from './alert-manager-definition';

/** The heapwatch alert rules shipped with this package (Prometheus rule-file format). */
export const DEFAULT_RULES_FILE = path.join(__dirname, '..', '..', 'grafana', 'rules', 'heapwatch.rules.yml');

/** An Amazon Managed Service for Prometheus workspace that already exists. */
export interface AmpWorkspaceAttributes {
  readonly workspaceId: string;
  readonly workspaceArn: string;
  /** The workspace's Prometheus endpoint, ending in `/` (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`). */
  readonly prometheusEndpoint: string;
}

export interface ManagedPrometheusProps {
  /** Topic the alert manager's SNS receiver publishes to. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Use this workspace instead of creating one. heapwatch then adds its rule-groups namespace to it but cannot
   * set its alert manager definition (a workspace has only one): merge `alertManagerDefinition` into yours.
   * @default - a new workspace with heapwatch's alert manager definition
   */
  readonly workspace?: AmpWorkspaceAttributes;
  /**
   * Prometheus rule file loaded into the workspace as the `heapwatch` rule-groups namespace.
   * @default DEFAULT_RULES_FILE
   */
  readonly rulesFile?: string;
}

/** The AMP workspace heapwatch writes to, its alert rules, and its alert manager's SNS receiver. */
export class ManagedPrometheus extends Construct {
  readonly workspaceId: string;
  readonly workspaceArn: string;
  /** The workspace's Prometheus endpoint, ending in `/` (query API base for Grafana). */
  readonly prometheusEndpoint: string;
  readonly remoteWriteUrl: string;
  /** The alert manager definition heapwatch needs (applied when heapwatch created the workspace). */
  readonly alertManagerDefinition: string;
  /** Present when heapwatch created the workspace. */
  readonly workspace?: aps.CfnWorkspace;
  readonly ruleGroups: aps.CfnRuleGroupsNamespace;

  constructor(scope: Construct, id: string, props: ManagedPrometheusProps) {
    super(scope, id);
    this.alertManagerDefinition = renderAlertManagerDefinition({
      topicArn: props.alarmTopic.topicArn,
      region: Stack.of(this).region,
    });
    if (props.workspace) {
      this.workspaceId = props.workspace.workspaceId;
      this.workspaceArn = props.workspace.workspaceArn;
      this.prometheusEndpoint = props.workspace.prometheusEndpoint;
      this.remoteWriteUrl = `${this.prometheusEndpoint}api/v1/remote_write`;
      Annotations.of(this).addWarningV2(
        'heapwatch:existingWorkspaceAlertManager',
        'heapwatch cannot set the alert manager definition of an existing AMP workspace: merge Heapwatch.alertManagerDefinition into it, or alerts never reach the collector.',
      );
    } else {
      this.workspace = new aps.CfnWorkspace(this, 'Resource', {
        alias: `heapwatch-${Stack.of(this).stackName}`,
        alertManagerDefinition: this.alertManagerDefinition,
      });
      this.workspaceId = this.workspace.attrWorkspaceId;
      this.workspaceArn = this.workspace.attrArn;
      this.prometheusEndpoint = this.workspace.attrPrometheusEndpoint;
      this.remoteWriteUrl = `${this.prometheusEndpoint}api/v1/remote_write`;
    }
    this.ruleGroups = new aps.CfnRuleGroupsNamespace(this, 'Rules', {
      workspace: this.workspaceArn,
      name: 'heapwatch',
      data: readRulesFile(props.rulesFile ?? DEFAULT_RULES_FILE, this),
    });
  }

  /** Lets the grantee send samples to the workspace (and nothing else). */
  grantRemoteWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['aps:RemoteWrite'], resourceArns: [this.workspaceArn] });
  }

  /** Lets the grantee run PromQL queries against the workspace. */
  grantQuery(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['aps:QueryMetrics', 'aps:GetLabels', 'aps:GetSeries', 'aps:GetMetricMetadata'],
      resourceArns: [this.workspaceArn],
    });
  }
}

function readRulesFile(file: string, scope: IConstruct): string {
  if (!existsSync(file)) {
    throw new HeapwatchValidationError(
      `rulesFile: '${file}' does not exist. Pass the path of a Prometheus rule file, or omit rulesFile to use heapwatch's grafana/rules/heapwatch.rules.yml.`,
      scope,
    );
  }
  const data = readFileSync(file, 'utf8');
  if (!/^groups:/m.test(data)) {
    throw new HeapwatchValidationError(
      `rulesFile: '${file}' is not a Prometheus rule file (no top-level 'groups:'). Check it with 'promtool check rules ${file}'.`,
      scope,
    );
  }
  return data;
}
