import { createHash } from 'node:crypto';
import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ManagedPrometheus } from '../alerting/managed-prometheus';
import { HEAPWATCH_LAMBDA_HANDLER, HEAPWATCH_LAMBDA_RUNTIME, heapwatchLambdaCode } from '../lambda-code';
import { acknowledgeCustomResourceFramework } from '../nag/acknowledge-custom-resource';
import { HeapwatchValidationError } from '../validation-error';
import { DEFAULT_DASHBOARDS_DIR, loadDashboards } from './dashboards';
import { ExistingGrafanaTarget, type GrafanaTarget, ManagedGrafanaTarget } from './grafana-target';

export interface GrafanaProvisioningProps {
  readonly target: GrafanaTarget;
  readonly prometheus: ManagedPrometheus;
  /** Name of the watched cluster, shown in the folder and data-source names (may be a token). */
  readonly clusterName: string;
  /** @default DEFAULT_DASHBOARDS_DIR */
  readonly dashboardsDir?: string;
}

/**
 * Provisions heapwatch's folder, AMP data source and dashboards into Grafana at deploy time (custom resource),
 * either into an existing Grafana or into an Amazon Managed Grafana workspace created here.
 */
export class GrafanaProvisioning extends Construct {
  readonly function: lambda.Function;
  /** Present for GrafanaTarget.managedWorkspace(). */
  readonly workspace?: grafana.CfnWorkspace;
  readonly url: string;

  constructor(scope: Construct, id: string, props: GrafanaProvisioningProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const dashboards = loadDashboards(props.dashboardsDir ?? DEFAULT_DASHBOARDS_DIR, this);
    // Several Heapwatch constructs (one per cluster) may share one Grafana: their uids must not collide.
    const suffix = createHash('sha256').update(this.node.addr).digest('hex').slice(0, 8);
    const existing = props.target instanceof ExistingGrafanaTarget ? props.target.props : undefined;

    this.function = new lambda.Function(this, 'Provisioner', {
      code: heapwatchLambdaCode('grafana-provisioner'),
      handler: HEAPWATCH_LAMBDA_HANDLER,
      runtime: HEAPWATCH_LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(2),
      memorySize: 256,
      vpc: existing?.vpc,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      description: 'heapwatch: provisions the AMP data source and heap dashboards into Grafana',
    });

    let credentials: Record<string, string>;
    if (existing) {
      existing.apiToken.grantRead(this.function);
      this.url = existing.url;
      credentials = { ApiTokenSecretArn: existing.apiToken.secretArn };
    } else if (props.target instanceof ManagedGrafanaTarget) {
      this.workspace = this.createWorkspace(props.target, props.prometheus);
      this.url = `https://${this.workspace.attrEndpoint}`;
      credentials = { WorkspaceId: this.workspace.attrId };
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            'grafana:ListWorkspaceServiceAccounts',
            'grafana:CreateWorkspaceServiceAccount',
            'grafana:CreateWorkspaceServiceAccountToken',
            'grafana:DeleteWorkspaceServiceAccountToken',
          ],
          resources: [
            stack.formatArn({ service: 'grafana', resource: '/workspaces', resourceName: this.workspace.attrId }),
          ],
        }),
      );
    } else {
      throw new HeapwatchValidationError(
        'grafana: unknown GrafanaTarget. Use GrafanaTarget.existing(...) or GrafanaTarget.managedWorkspace().',
        this,
      );
    }

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: logs.RetentionDays.ONE_MONTH }),
    });
    new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::HeapwatchGrafana',
      properties: {
        GrafanaUrl: this.url,
        ...credentials,
        FolderUid: `heapwatch-${suffix}`,
        FolderTitle: `heapwatch ${props.clusterName}`,
        DataSourceUid: `heapwatch-amp-${suffix}`,
        DataSourceName: `heapwatch AMP ${props.clusterName}`,
        PrometheusUrl: props.prometheus.prometheusEndpoint,
        Region: stack.region,
        Dashboards: JSON.stringify(
          dashboards.map((dashboard) => ({ ...dashboard, uid: `${dashboard.uid}-${suffix}` })),
        ),
      },
    });
    acknowledgeCustomResourceFramework(this.function, provider);
  }

  private createWorkspace(target: ManagedGrafanaTarget, prometheus: ManagedPrometheus): grafana.CfnWorkspace {
    const role = new iam.Role(this, 'WorkspaceRole', {
      assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets the heapwatch Amazon Managed Grafana workspace query the heapwatch AMP workspace.',
    });
    prometheus.grantQuery(role);
    return new grafana.CfnWorkspace(this, 'Workspace', {
      accountAccessType: 'CURRENT_ACCOUNT',
      authenticationProviders: target.props.authenticationProviders ?? ['AWS_SSO'],
      permissionType: 'CUSTOMER_MANAGED',
      roleArn: role.roleArn,
      dataSources: ['PROMETHEUS'],
      grafanaVersion: target.props.grafanaVersion ?? '10.4',
      description: 'heapwatch: heap dashboards of the watched ECS services',
      pluginAdminEnabled: false,
    });
  }
}
