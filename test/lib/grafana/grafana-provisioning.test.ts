import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { GrafanaTarget, Heapwatch, loadDashboards } from '../../../lib';
import { clusterStack, FIXTURE_RULES_FILE, unacknowledgedNagErrors } from '../test-app';

const dashboardsDir = path.join(__dirname, '..', 'fixtures', 'dashboards');

function heapwatchWith(grafana: (stack: ReturnType<typeof clusterStack>['stack']) => GrafanaTarget) {
  const built = clusterStack();
  const heapwatch = new Heapwatch(built.stack, 'Heapwatch', {
    cluster: built.cluster,
    rulesFile: FIXTURE_RULES_FILE,
    grafana: grafana(built.stack),
    dashboardsDir,
  });
  return { ...built, heapwatch, template: Template.fromStack(built.stack) };
}

describe('Grafana provisioning into an existing Grafana', () => {
  let built: ReturnType<typeof heapwatchWith>;

  beforeAll(() => {
    built = heapwatchWith((stack) =>
      GrafanaTarget.existing({
        url: 'https://grafana.example.com',
        apiToken: new secretsmanager.Secret(stack, 'GrafanaToken'),
      }),
    );
  });

  it('runs the provisioner on Node.js 22 and passes the dashboards, the data source and the token secret by ARN', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Description: Match.stringLikeRegexp('provisions the AMP data source'),
    });
    built.template.hasResourceProperties('Custom::HeapwatchGrafana', {
      GrafanaUrl: 'https://grafana.example.com',
      ApiTokenSecretArn: { Ref: Match.stringLikeRegexp('^GrafanaToken') },
      DataSourceUid: Match.stringLikeRegexp('^heapwatch-amp-[0-9a-f]{8}$'),
      FolderUid: Match.stringLikeRegexp('^heapwatch-[0-9a-f]{8}$'),
      FolderTitle: { 'Fn::Join': ['', ['heapwatch ', { Ref: Match.stringLikeRegexp('^Cluster') }]] },
      PrometheusUrl: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HeapwatchPrometheus'), 'PrometheusEndpoint'] },
      Dashboards: Match.stringLikeRegexp('"uid":"heapwatch-fixture-[0-9a-f]{8}"'),
    });
  });

  it('lets the provisioner read the token secret and nothing else of Secrets Manager', () => {
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: Match.stringLikeRegexp('^GrafanaToken') },
          }),
        ]),
      },
    });
  });

  it('adds no unacknowledged cdk-nag error', () => {
    expect(
      unacknowledgedNagErrors(built.app, built.stack).filter((error) => error.includes(' at Test/Heapwatch/')),
    ).toEqual([]);
  });
});

describe('Grafana provisioning into a new Amazon Managed Grafana workspace', () => {
  let built: ReturnType<typeof heapwatchWith>;

  beforeAll(() => {
    built = heapwatchWith(() => GrafanaTarget.managedWorkspace());
  });

  it('creates a workspace whose role may only query the heapwatch AMP workspace', () => {
    built.template.hasResourceProperties('AWS::Grafana::Workspace', {
      AccountAccessType: 'CURRENT_ACCOUNT',
      PermissionType: 'CUSTOMER_MANAGED',
      DataSources: ['PROMETHEUS'],
    });
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['aps:GetLabels', 'aps:GetMetricMetadata', 'aps:GetSeries', 'aps:QueryMetrics'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HeapwatchPrometheus'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('lets the provisioner manage service-account tokens of that workspace only', () => {
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              'grafana:CreateWorkspaceServiceAccount',
              'grafana:CreateWorkspaceServiceAccountToken',
              'grafana:DeleteWorkspaceServiceAccountToken',
              'grafana:ListWorkspaceServiceAccounts',
            ],
            Resource: {
              'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('GrafanaWorkspace'), 'Id'] }])],
            },
          }),
        ]),
      },
    });
    built.template.hasResourceProperties('Custom::HeapwatchGrafana', {
      WorkspaceId: { 'Fn::GetAtt': [Match.stringLikeRegexp('GrafanaWorkspace'), 'Id'] },
      GrafanaUrl: {
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('GrafanaWorkspace'), 'Endpoint'] }]],
      },
    });
  });

  it('adds no unacknowledged cdk-nag error', () => {
    expect(
      unacknowledgedNagErrors(built.app, built.stack).filter((error) => error.includes(' at Test/Heapwatch/')),
    ).toEqual([]);
  });
});

describe('Two Heapwatch constructs provisioning into one Grafana', () => {
  it('give their folders, data sources and dashboards distinct uids', () => {
    const { stack, vpc, cluster } = clusterStack();
    const apiToken = new secretsmanager.Secret(stack, 'GrafanaToken');
    const grafana = GrafanaTarget.existing({ url: 'https://grafana.example.com', apiToken });
    const other = new ecs.Cluster(stack, 'Batch', { vpc });
    new Heapwatch(stack, 'Web', { cluster, rulesFile: FIXTURE_RULES_FILE, grafana, dashboardsDir });
    new Heapwatch(stack, 'Batch2', { cluster: other, rulesFile: FIXTURE_RULES_FILE, grafana, dashboardsDir });
    const resources = Object.values(Template.fromStack(stack).findResources('Custom::HeapwatchGrafana'));
    const uids = resources.map((resource) => [
      resource.Properties.FolderUid,
      resource.Properties.DataSourceUid,
      JSON.parse(resource.Properties.Dashboards)[0].uid,
    ]);
    expect(uids).toHaveLength(2);
    expect(new Set(uids.flat()).size).toBe(6);
  });
});

describe('Heapwatch without a Grafana target', () => {
  it('provisions nothing (the dashboards are imported by hand)', () => {
    const built = clusterStack();
    new Heapwatch(built.stack, 'Heapwatch', { cluster: built.cluster, rulesFile: FIXTURE_RULES_FILE });
    Template.fromStack(built.stack).resourceCountIs('Custom::HeapwatchGrafana', 0);
  });
});

describe('loadDashboards', () => {
  it('names the folder and the fix when there is nothing to load', () => {
    expect(() => loadDashboards('/nonexistent/dashboards')).toThrow(
      /dashboardsDir: '\/nonexistent\/dashboards' does not exist/,
    );
    expect(() => loadDashboards(path.join(__dirname, '..', 'fixtures', 'missing'))).toThrow(/does not exist/);
    expect(() => loadDashboards(path.join(__dirname))).toThrow(/holds no \*\.json dashboard/);
  });
});
