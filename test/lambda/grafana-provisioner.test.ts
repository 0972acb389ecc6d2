import './silence-powertools-logs';
import {
  CreateWorkspaceServiceAccountCommand,
  CreateWorkspaceServiceAccountTokenCommand,
  DeleteWorkspaceServiceAccountTokenCommand,
  GrafanaClient,
  ListWorkspaceServiceAccountsCommand,
} from '@aws-sdk/client-grafana';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  bindToDataSource,
  createHandler,
  deprovisionGrafana,
  type GrafanaProvisionerProperties,
  provisionGrafana,
} from '../../lambda/grafana-provisioner';
import { FakeGrafanaServer } from './fake-grafana-server';

const token = 'glsa_test_token_0123456789';
const dataSource = {
  uid: 'heapwatch-amp',
  name: 'heapwatch AMP',
  prometheusUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/',
  region: 'eu-west-1',
  sigV4AuthType: 'default' as const,
};
const folder = { uid: 'heapwatch', title: 'heapwatch' };

function dashboard(uid: string, title = `Dashboard ${uid}`) {
  return {
    uid,
    title,
    __inputs: [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }],
    templating: { list: [] },
    panels: [
      {
        id: 1,
        type: 'timeseries',
        title: 'Old space',
        // Grafana's export placeholder for the data source chosen at import.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: literal Grafana placeholder, not a template
        datasource: '${DS_PROMETHEUS}',
        targets: [
          {
            refId: 'A',
            expr: 'nodejs_heap_space_size_used_bytes{space="old"}',
            datasource: { type: 'prometheus', uid: 'x' },
          },
        ],
      },
    ],
  };
}

describe('provisionGrafana against a Grafana API on loopback', () => {
  let grafana: FakeGrafanaServer;

  beforeEach(async () => {
    grafana = await new FakeGrafanaServer(token).start();
  });

  afterEach(async () => {
    await grafana.stop();
  });

  it('creates the folder, the SigV4 data source and the dashboards bound to it', async () => {
    // Act
    const uids = await provisionGrafana(
      { url: grafana.url, token },
      { folder, dataSource, dashboards: [dashboard('hw-heap')] },
    );
    // Assess
    expect(uids).toEqual(['hw-heap']);
    expect(grafana.folders.get('heapwatch')).toEqual({ title: 'heapwatch' });
    expect(grafana.dataSources.get('heapwatch-amp')).toMatchObject({
      type: 'prometheus',
      url: dataSource.prometheusUrl,
      jsonData: { sigV4Auth: true, sigV4AuthType: 'default', sigV4Region: 'eu-west-1', httpMethod: 'POST' },
    });
    const stored = grafana.dashboards.get('hw-heap');
    expect(stored?.folderUid).toBe('heapwatch');
    const panel = ((stored?.dashboard.panels ?? []) as Array<Record<string, unknown>>)[0];
    expect(panel.datasource).toEqual({ type: 'prometheus', uid: 'heapwatch-amp' });
    expect((panel.targets as Array<Record<string, unknown>>)[0].datasource).toEqual({
      type: 'prometheus',
      uid: 'heapwatch-amp',
    });
    expect(stored?.dashboard.__inputs).toBeUndefined();
    expect(grafana.requests.every((request) => !request.url.includes(token))).toBe(true);
  });

  it('is idempotent: a second run updates instead of failing on duplicates', async () => {
    const provisioning = { folder, dataSource, dashboards: [dashboard('hw-heap')] };
    await provisionGrafana({ url: grafana.url, token }, provisioning);
    // Act
    await provisionGrafana(
      { url: grafana.url, token },
      { ...provisioning, dataSource: { ...dataSource, region: 'us-east-1' } },
    );
    // Assess
    expect(grafana.dashboards.get('hw-heap')?.version).toBe(2);
    expect(grafana.dataSources.size).toBe(1);
    expect(grafana.dataSources.get('heapwatch-amp')).toMatchObject({ jsonData: { sigV4Region: 'us-east-1' } });
  });

  it('removes everything it created, and tolerates what is already gone', async () => {
    await provisionGrafana(
      { url: grafana.url, token },
      { folder, dataSource, dashboards: [dashboard('a'), dashboard('b')] },
    );
    grafana.dashboards.delete('b');
    // Act
    await deprovisionGrafana({ url: grafana.url, token }, { folder, dataSource, dashboardUids: ['a', 'b'] });
    // Assess
    expect(grafana.dashboards.size).toBe(0);
    expect(grafana.dataSources.size).toBe(0);
    expect(grafana.folders.size).toBe(0);
  });

  it('reports a rejected token with the status and Grafana message, without the token', async () => {
    const attempt = provisionGrafana({ url: grafana.url, token: 'wrong' }, { folder, dataSource, dashboards: [] });
    await expect(attempt).rejects.toThrow('Grafana GET /api/folders/heapwatch answered 401: Unauthorized');
    await expect(attempt).rejects.not.toThrow(/wrong/);
  });

  it('rejects a dashboard without a uid before calling Grafana', async () => {
    await expect(
      provisionGrafana({ url: grafana.url, token }, { folder, dataSource, dashboards: [{ title: 'No uid' }] }),
    ).rejects.toThrow(/dashboards\[0\]: uid undefined .* needs a stable string uid/);
    expect(grafana.requests).toEqual([]);
  });
});

describe('bindToDataSource', () => {
  it('leaves non-Prometheus data sources alone', () => {
    const bound = bindToDataSource(
      { uid: 'x', title: 'x', panels: [{ datasource: { type: 'cloudwatch', uid: 'cw' } }] },
      'amp',
    );
    expect(bound.panels).toEqual([{ datasource: { type: 'cloudwatch', uid: 'cw' } }]);
  });
});

describe('grafana provisioner handler', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  const grafanaControlPlane = mockClient(GrafanaClient);
  let grafana: FakeGrafanaServer;

  beforeEach(async () => {
    secretsManager.reset();
    grafanaControlPlane.reset();
    grafana = await new FakeGrafanaServer(token).start();
  });

  afterEach(async () => {
    await grafana.stop();
  });

  function event(
    requestType: 'Create' | 'Update' | 'Delete',
    properties: Partial<GrafanaProvisionerProperties>,
    old?: Partial<GrafanaProvisionerProperties>,
  ): CloudFormationCustomResourceEvent {
    const resourceProperties = {
      ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
      GrafanaUrl: grafana.url,
      FolderUid: 'heapwatch',
      FolderTitle: 'heapwatch',
      DataSourceUid: 'heapwatch-amp',
      DataSourceName: 'heapwatch AMP',
      PrometheusUrl: dataSource.prometheusUrl,
      Region: 'eu-west-1',
      Dashboards: JSON.stringify([dashboard('hw-heap')]),
      ...properties,
    };
    return {
      RequestType: requestType,
      ServiceToken: resourceProperties.ServiceToken,
      ResponseURL: 'https://example.invalid/response',
      StackId: 'stack',
      RequestId: 'request',
      LogicalResourceId: 'Grafana',
      ResourceType: 'Custom::HeapwatchGrafana',
      PhysicalResourceId: 'heapwatch-grafana-heapwatch',
      ResourceProperties: resourceProperties,
      OldResourceProperties: { ...resourceProperties, ...old },
    } as CloudFormationCustomResourceEvent;
  }

  const handler = () =>
    createHandler({
      secretsManager: new SecretsManagerClient({}),
      grafana: new GrafanaClient({ region: 'eu-west-1' }),
    });

  it('reads the API token of an existing Grafana from Secrets Manager', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'arn:secret' }).resolves({ SecretString: `${token}\n` });
    // Act
    const result = await handler()(event('Create', { ApiTokenSecretArn: 'arn:secret' }));
    // Assess
    expect(result).toEqual({ PhysicalResourceId: 'heapwatch-grafana-heapwatch' });
    expect([...grafana.dashboards.keys()]).toEqual(['hw-heap']);
  });

  it('uses a short-lived service-account token of a managed workspace and deletes it afterwards', async () => {
    grafanaControlPlane.on(ListWorkspaceServiceAccountsCommand).resolves({ serviceAccounts: [] });
    grafanaControlPlane.on(CreateWorkspaceServiceAccountCommand).resolves({ id: 'sa-1' });
    grafanaControlPlane
      .on(CreateWorkspaceServiceAccountTokenCommand)
      .resolves({ serviceAccountId: 'sa-1', serviceAccountToken: { id: 'tok-1', name: 't', key: token } });
    grafanaControlPlane.on(DeleteWorkspaceServiceAccountTokenCommand).resolves({});
    // Act
    await handler()(event('Create', { WorkspaceId: 'g-123' }));
    // Assess
    expect(grafana.dataSources.get('heapwatch-amp')).toMatchObject({ jsonData: { sigV4AuthType: 'ec2_iam_role' } });
    expect(grafanaControlPlane.commandCalls(CreateWorkspaceServiceAccountCommand)[0].args[0].input).toMatchObject({
      workspaceId: 'g-123',
      grafanaRole: 'ADMIN',
    });
    expect(grafanaControlPlane.commandCalls(CreateWorkspaceServiceAccountTokenCommand)[0].args[0].input).toMatchObject({
      secondsToLive: 900,
    });
    expect(grafanaControlPlane.commandCalls(DeleteWorkspaceServiceAccountTokenCommand)[0].args[0].input).toEqual({
      workspaceId: 'g-123',
      serviceAccountId: 'sa-1',
      tokenId: 'tok-1',
    });
  });

  it('deletes the token even when provisioning fails', async () => {
    grafanaControlPlane.on(ListWorkspaceServiceAccountsCommand).resolves({
      serviceAccounts: [{ id: 'sa-1', name: 'heapwatch-provisioner', isDisabled: 'false', grafanaRole: 'ADMIN' }],
    });
    grafanaControlPlane
      .on(CreateWorkspaceServiceAccountTokenCommand)
      .resolves({ serviceAccountToken: { id: 'tok-1', name: 't', key: 'not-accepted' } });
    grafanaControlPlane.on(DeleteWorkspaceServiceAccountTokenCommand).resolves({});
    await expect(handler()(event('Create', { WorkspaceId: 'g-123' }))).rejects.toThrow(/answered 401/);
    expect(grafanaControlPlane.commandCalls(CreateWorkspaceServiceAccountCommand)).toHaveLength(0);
    expect(grafanaControlPlane.commandCalls(DeleteWorkspaceServiceAccountTokenCommand)).toHaveLength(1);
  });

  it('drops dashboards removed by an update and removes everything on delete', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: token });
    await handler()(
      event('Create', {
        ApiTokenSecretArn: 'arn:secret',
        Dashboards: JSON.stringify([dashboard('a'), dashboard('b')]),
      }),
    );
    // Act
    await handler()(
      event(
        'Update',
        { ApiTokenSecretArn: 'arn:secret', Dashboards: JSON.stringify([dashboard('a')]) },
        { Dashboards: JSON.stringify([dashboard('a'), dashboard('b')]) },
      ),
    );
    // Assess
    expect([...grafana.dashboards.keys()]).toEqual(['a']);
    await handler()(event('Delete', { ApiTokenSecretArn: 'arn:secret', Dashboards: JSON.stringify([dashboard('a')]) }));
    expect(grafana.dashboards.size + grafana.dataSources.size + grafana.folders.size).toBe(0);
  });
});
