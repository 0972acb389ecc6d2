import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
}

interface StoredDashboard {
  readonly dashboard: Record<string, unknown>;
  readonly folderUid: string;
  readonly version: number;
}

/**
 * A Grafana HTTP API on loopback, with the subset heapwatch uses and Grafana's answers for it (401 without the
 * token, 404 for unknown uids, 409 for a duplicate data-source name, 400 for an unknown folder, 412 when a
 * dashboard exists and overwrite is false).
 */
export class FakeGrafanaServer {
  readonly folders = new Map<string, { title: string }>();
  readonly dataSources = new Map<string, Record<string, unknown>>();
  readonly dashboards = new Map<string, StoredDashboard>();
  readonly requests: RecordedRequest[] = [];
  private server?: Server;

  constructor(private readonly token: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => send(response, 500, { message: error.message }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    this.requests.push({ method, url, authorization: request.headers.authorization });
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      return send(response, 401, { message: 'Unauthorized' });
    }
    const body = await readJson(request);
    const route = `${method} ${url}`;
    const folderRead = route.match(/^GET \/api\/folders\/([^/]+)$/);
    if (folderRead) {
      const match = folderRead;
      const folder = this.folders.get(decodeURIComponent(match[1]));
      return folder
        ? send(response, 200, { uid: match[1], ...folder })
        : send(response, 404, { message: 'folder not found' });
    }
    if (route === 'POST /api/folders') {
      const { uid, title } = body as { uid: string; title: string };
      if (this.folders.has(uid)) return send(response, 409, { message: 'a folder with the same uid already exists' });
      this.folders.set(uid, { title });
      return send(response, 200, { uid, title });
    }
    const dataSourceByUid = route.match(/^(GET|PUT|DELETE) \/api\/datasources\/uid\/([^/]+)$/);
    if (dataSourceByUid) {
      const match = dataSourceByUid;
      const uid = decodeURIComponent(match[2]);
      const existing = this.dataSources.get(uid);
      if (!existing) return send(response, 404, { message: 'Data source not found' });
      if (method === 'GET') return send(response, 200, existing);
      if (method === 'DELETE') {
        this.dataSources.delete(uid);
        return send(response, 200, { message: 'Data source deleted' });
      }
      this.dataSources.set(uid, body as Record<string, unknown>);
      return send(response, 200, { message: 'Datasource updated' });
    }
    if (route === 'POST /api/datasources') {
      const model = body as { uid: string; name: string };
      if ([...this.dataSources.values()].some((existing) => existing.name === model.name)) {
        return send(response, 409, { message: 'data source with the same name already exists' });
      }
      this.dataSources.set(model.uid, model);
      return send(response, 200, { message: 'Datasource added' });
    }
    if (route === 'POST /api/dashboards/db') {
      const { dashboard, folderUid, overwrite } = body as {
        dashboard: Record<string, unknown>;
        folderUid: string;
        overwrite?: boolean;
      };
      if (typeof dashboard?.title !== 'string')
        return send(response, 400, { message: 'Dashboard title cannot be empty' });
      if (!this.folders.has(folderUid)) return send(response, 400, { message: 'folder not found' });
      const uid = dashboard.uid as string;
      const existing = this.dashboards.get(uid);
      if (existing && !overwrite)
        return send(response, 412, { message: 'A dashboard with the same uid already exists' });
      this.dashboards.set(uid, { dashboard, folderUid, version: (existing?.version ?? 0) + 1 });
      return send(response, 200, { uid, status: 'success', version: (existing?.version ?? 0) + 1 });
    }
    const dashboardDelete = route.match(/^DELETE \/api\/dashboards\/uid\/([^/]+)$/);
    if (dashboardDelete) {
      const match = dashboardDelete;
      const uid = decodeURIComponent(match[1]);
      if (!this.dashboards.delete(uid)) return send(response, 404, { message: 'Dashboard not found' });
      return send(response, 200, { message: 'Dashboard deleted' });
    }
    const folderDelete = route.match(/^DELETE \/api\/folders\/([^/]+)$/);
    if (folderDelete) {
      const match = folderDelete;
      if (!this.folders.delete(decodeURIComponent(match[1])))
        return send(response, 404, { message: 'folder not found' });
      return send(response, 200, { message: 'Folder deleted' });
    }
    return send(response, 404, { message: 'Not found' });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}
