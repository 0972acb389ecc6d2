import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateWorkspaceServiceAccountCommand,
  CreateWorkspaceServiceAccountTokenCommand,
  DeleteWorkspaceServiceAccountTokenCommand,
  GrafanaClient,
  ListWorkspaceServiceAccountsCommand,
} from '@aws-sdk/client-grafana';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

// ---------------------------------------------------------------------------------------------------------------
// Plain logic: provisions heapwatch's folder, AMP data source and dashboards through Grafana's HTTP API.
// ---------------------------------------------------------------------------------------------------------------

export interface GrafanaConnection {
  /** Base URL of Grafana, e.g. `https://g-123.grafana-workspace.eu-west-1.amazonaws.com`. */
  readonly url: string;
  /** Service-account or API token; sent only in the Authorization header. */
  readonly token: string;
}

export interface AmpDataSource {
  readonly uid: string;
  readonly name: string;
  /** The AMP workspace's Prometheus endpoint (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`). */
  readonly prometheusUrl: string;
  readonly region: string;
  /** `ec2_iam_role` in Amazon Managed Grafana (workspace role), `default` (AWS SDK chain) elsewhere. */
  readonly sigV4AuthType: 'default' | 'ec2_iam_role';
}

export interface GrafanaProvisioning {
  readonly folder: { readonly uid: string; readonly title: string };
  readonly dataSource: AmpDataSource;
  /** Dashboard models as exported by Grafana (each with a `uid` and a `title`). */
  readonly dashboards: readonly Dashboard[];
}

export type Dashboard = Record<string, unknown> & { uid?: unknown; title?: unknown };

export class GrafanaApiError extends Error {
  constructor(
    readonly status: number,
    method: string,
    path: string,
    detail: string,
  ) {
    super(`Grafana ${method} ${path} answered ${status}: ${detail}`);
  }
}

/** Creates or updates the folder, the data source and every dashboard; returns the dashboard uids. */
export async function provisionGrafana(
  connection: GrafanaConnection,
  provisioning: GrafanaProvisioning,
): Promise<string[]> {
  const dashboards = provisioning.dashboards.map((dashboard, index) => assertDashboard(dashboard, index));
  const { folder, dataSource } = provisioning;
  if ((await grafana(connection, 'GET', `/api/folders/${encodeURIComponent(folder.uid)}`, undefined, [404])) === null) {
    await grafana(connection, 'POST', '/api/folders', { uid: folder.uid, title: folder.title });
  }
  const dataSourcePath = `/api/datasources/uid/${encodeURIComponent(dataSource.uid)}`;
  const dataSourceModel = renderDataSource(dataSource);
  if ((await grafana(connection, 'GET', dataSourcePath, undefined, [404])) === null) {
    await grafana(connection, 'POST', '/api/datasources', dataSourceModel);
  } else {
    await grafana(connection, 'PUT', dataSourcePath, dataSourceModel);
  }
  for (const dashboard of dashboards) {
    await grafana(connection, 'POST', '/api/dashboards/db', {
      dashboard: { ...bindToDataSource(dashboard, dataSource.uid), id: null },
      folderUid: folder.uid,
      overwrite: true,
      message: 'Provisioned by heapwatch',
    });
  }
  return dashboards.map((dashboard) => dashboard.uid);
}

/** Removes what provisionGrafana created; what is already gone is fine. */
export async function deprovisionGrafana(
  connection: GrafanaConnection,
  provisioning: Pick<GrafanaProvisioning, 'folder' | 'dataSource'> & { readonly dashboardUids: readonly string[] },
): Promise<void> {
  for (const uid of provisioning.dashboardUids) {
    await grafana(connection, 'DELETE', `/api/dashboards/uid/${encodeURIComponent(uid)}`, undefined, [404]);
  }
  await grafana(
    connection,
    'DELETE',
    `/api/datasources/uid/${encodeURIComponent(provisioning.dataSource.uid)}`,
    undefined,
    [404],
  );
  await grafana(connection, 'DELETE', `/api/folders/${encodeURIComponent(provisioning.folder.uid)}`, undefined, [404]);
}

function renderDataSource(dataSource: AmpDataSource): Record<string, unknown> {
  return {
    uid: dataSource.uid,
    name: dataSource.name,
    type: 'prometheus',
    access: 'proxy',
    url: dataSource.prometheusUrl,
    isDefault: false,
    jsonData: {
      httpMethod: 'POST',
      sigV4Auth: true,
      sigV4AuthType: dataSource.sigV4AuthType,
      sigV4Region: dataSource.region,
    },
  };
}

function assertDashboard(dashboard: Dashboard, index: number): Dashboard & { uid: string; title: string } {
  if (typeof dashboard !== 'object' || dashboard === null || Array.isArray(dashboard)) {
    throw new Error(
      `dashboards[${index}]: not a dashboard object. Pass the dashboard JSON model as exported by Grafana.`,
    );
  }
  if (typeof dashboard.uid !== 'string' || dashboard.uid === '' || typeof dashboard.title !== 'string') {
    throw new Error(
      `dashboards[${index}]: uid ${JSON.stringify(dashboard.uid)} / title ${JSON.stringify(dashboard.title)} missing. Every dashboard needs a stable string uid and a title, or updates would duplicate it.`,
    );
  }
  return dashboard as Dashboard & { uid: string; title: string };
}

/**
 * Points every Prometheus data-source reference of the dashboard (objects of type `prometheus`, `${DS_…}` import
 * placeholders and the `$datasource` variable) at heapwatch's data source.
 */
export function bindToDataSource(dashboard: Dashboard, dataSourceUid: string): Dashboard {
  const reference = { type: 'prometheus', uid: dataSourceUid };
  const visit = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) {
      return node.map((item) => visit(item));
    }
    if (key === 'datasource') {
      if (typeof node === 'string' && /^\$\{?(DS_[A-Z0-9_]+|datasource)\}?$/.test(node)) {
        return reference;
      }
      if (node && typeof node === 'object' && (node as { type?: unknown }).type === 'prometheus') {
        return reference;
      }
    }
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([childKey, value]) => [childKey, visit(value, childKey)]));
    }
    return node;
  };
  const { __inputs: _inputs, __requires: _requires, ...model } = visit(dashboard) as Dashboard;
  return model;
}

async function grafana(
  connection: GrafanaConnection,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  toleratedStatuses: readonly number[] = [],
): Promise<unknown> {
  const response = await fetch(new URL(path, connection.url), {
    method,
    headers: {
      Authorization: `Bearer ${connection.token}`,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (toleratedStatuses.includes(response.status)) {
    return null;
  }
  if (!response.ok) {
    throw new GrafanaApiError(response.status, method, path, grafanaMessage(text));
  }
  return text === '' ? {} : JSON.parse(text);
}

function grafanaMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') {
      return parsed.message;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 200) || '(empty body)';
}

// ---------------------------------------------------------------------------------------------------------------
// Lambda handler (custom resource, called by the CDK Provider framework).
// ---------------------------------------------------------------------------------------------------------------

/** Resource properties set by lib/grafana (all strings, as CloudFormation passes them). */
export interface GrafanaProvisionerProperties {
  readonly GrafanaUrl: string;
  /** Existing Grafana: the secret holding its API token. */
  readonly ApiTokenSecretArn?: string;
  /** Amazon Managed Grafana: the workspace whose service account issues a short-lived token. */
  readonly WorkspaceId?: string;
  readonly FolderUid: string;
  readonly FolderTitle: string;
  readonly DataSourceUid: string;
  readonly DataSourceName: string;
  readonly PrometheusUrl: string;
  readonly Region: string;
  readonly Dashboards: string;
}

const logger = new Logger({ serviceName: 'heapwatch-grafana-provisioner' });
const SERVICE_ACCOUNT_NAME = 'heapwatch-provisioner';

export interface HandlerClients {
  readonly secretsManager: SecretsManagerClient;
  readonly grafana: GrafanaClient;
}

export function createHandler(clients: HandlerClients) {
  return async (event: CloudFormationCustomResourceEvent) => {
    const properties = event.ResourceProperties as unknown as GrafanaProvisionerProperties;
    const physicalResourceId = `heapwatch-grafana-${properties.FolderUid}`;
    logger.info('grafana provisioning', { requestType: event.RequestType, grafanaUrl: properties.GrafanaUrl });
    const dashboards = JSON.parse(properties.Dashboards) as Dashboard[];
    const provisioning = {
      folder: { uid: properties.FolderUid, title: properties.FolderTitle },
      dataSource: {
        uid: properties.DataSourceUid,
        name: properties.DataSourceName,
        prometheusUrl: properties.PrometheusUrl,
        region: properties.Region,
        sigV4AuthType: properties.WorkspaceId ? ('ec2_iam_role' as const) : ('default' as const),
      },
      dashboards,
    };
    await withToken(clients, properties, async (connection) => {
      if (event.RequestType === 'Delete') {
        await deprovisionGrafana(connection, { ...provisioning, dashboardUids: uidsOf(dashboards) });
        return;
      }
      const uids = await provisionGrafana(connection, provisioning);
      if (event.RequestType === 'Update') {
        const old = JSON.parse(
          (event.OldResourceProperties as { Dashboards?: string }).Dashboards ?? '[]',
        ) as Dashboard[];
        for (const uid of uidsOf(old).filter((oldUid) => !uids.includes(oldUid))) {
          await grafana(connection, 'DELETE', `/api/dashboards/uid/${encodeURIComponent(uid)}`, undefined, [404]);
        }
      }
      logger.info('grafana provisioned', { dashboards: uids });
    });
    return { PhysicalResourceId: physicalResourceId };
  };
}

function uidsOf(dashboards: readonly Dashboard[]): string[] {
  return dashboards.map((dashboard) => dashboard.uid).filter((uid): uid is string => typeof uid === 'string');
}

async function withToken(
  clients: HandlerClients,
  properties: GrafanaProvisionerProperties,
  work: (connection: GrafanaConnection) => Promise<void>,
): Promise<void> {
  if (properties.ApiTokenSecretArn) {
    const secret = await clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: properties.ApiTokenSecretArn }),
    );
    if (!secret.SecretString) {
      throw new Error(
        `ApiTokenSecretArn: secret ${properties.ApiTokenSecretArn} has no string value. Store the Grafana API token as the secret's plain text.`,
      );
    }
    return work({ url: properties.GrafanaUrl, token: secret.SecretString.trim() });
  }
  if (!properties.WorkspaceId) {
    throw new Error('Neither ApiTokenSecretArn nor WorkspaceId is set: heapwatch cannot authenticate to Grafana.');
  }
  const workspaceId = properties.WorkspaceId;
  const serviceAccountId = await ensureServiceAccount(clients.grafana, workspaceId);
  const created = await clients.grafana.send(
    new CreateWorkspaceServiceAccountTokenCommand({
      workspaceId,
      serviceAccountId,
      name: `heapwatch-${Date.now()}`,
      secondsToLive: 900,
    }),
  );
  const token = created.serviceAccountToken;
  if (!token?.key || !token.id) {
    throw new Error(`Amazon Managed Grafana workspace ${workspaceId} returned no service-account token.`);
  }
  try {
    await work({ url: properties.GrafanaUrl, token: token.key });
  } finally {
    await clients.grafana.send(
      new DeleteWorkspaceServiceAccountTokenCommand({ workspaceId, serviceAccountId, tokenId: token.id }),
    );
  }
}

async function ensureServiceAccount(client: GrafanaClient, workspaceId: string): Promise<string> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListWorkspaceServiceAccountsCommand({ workspaceId, nextToken }));
    const existing = page.serviceAccounts?.find((account) => account.name === SERVICE_ACCOUNT_NAME);
    if (existing?.id) {
      return existing.id;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const created = await client.send(
    new CreateWorkspaceServiceAccountCommand({ workspaceId, name: SERVICE_ACCOUNT_NAME, grafanaRole: 'ADMIN' }),
  );
  if (!created.id) {
    throw new Error(`Amazon Managed Grafana workspace ${workspaceId} did not return the new service account's id.`);
  }
  return created.id;
}

export const handler = createHandler({ secretsManager: new SecretsManagerClient({}), grafana: new GrafanaClient({}) });
