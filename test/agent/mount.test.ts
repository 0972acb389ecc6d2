import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdminKoaMiddleware, createAdminRequestHandler } from '@heapwatch/agent';
import { PROFILE_ACTION, signToken } from '@heapwatch/agent/protocol';
import Koa from 'koa';
import { TEST_KEYS } from '../support/test-keys';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('admin endpoints mounted in an existing app', () => {
  let server: Server;

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('works as Express-style middleware under a prefix, passing other paths on, with a loud warning', async () => {
    // Prepare
    const warnings: string[] = [];
    const handler = createAdminRequestHandler({
      pathPrefix: '/_heapwatch',
      publicKeys: [TEST_KEYS.publicKey],
      taskId: 'mounted-task',
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    });
    server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('app');
      }),
    );
    const url = await listen(server);
    // Act
    const metrics = await fetch(`${url}/_heapwatch/metrics`);
    const app = await fetch(`${url}/metrics`);
    const refused = await fetch(`${url}/_heapwatch/heap/snapshot`, {
      method: 'POST',
      headers: { authorization: signToken({ privateKey: TEST_KEYS.privateKey, taskId: 'another-task' }) },
    });
    // Assess
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/heapwatch_snapshots_total\{result="ok"\} 0/);
    expect(await app.text()).toBe('app');
    expect([refused.status, await refused.json()]).toEqual([401, { error: 'bad-signature' }]);
    expect(warnings.join('\n')).toMatch(/WARNING.*load balancer MUST NOT route.*\/_heapwatch/);
  });

  it('binds tokens to the ECS task id from the task metadata endpoint, and takes its prefix from HEAPWATCH_ADMIN_PATH', async () => {
    // Prepare: what Fargate gives a container (the metadata endpoint) and what watch({ adminPath }) sets
    const metadata = createServer((req, res) => {
      res.writeHead(req.url === '/v4/task' ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ TaskARN: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0' }),
      );
    });
    const metadataUrl = await listen(metadata);
    const saved = { uri: process.env.ECS_CONTAINER_METADATA_URI_V4, path: process.env.HEAPWATCH_ADMIN_PATH };
    process.env.ECS_CONTAINER_METADATA_URI_V4 = `${metadataUrl}/v4`;
    process.env.HEAPWATCH_ADMIN_PATH = '/_mounted';
    try {
      const handler = createAdminRequestHandler({
        publicKeys: [TEST_KEYS.publicKey],
        logger: { info: () => undefined, warn: () => undefined },
      });
      server = createServer((req, res) => handler(req, res));
      const url = await listen(server);
      const token = (taskId: string) => signToken({ privateKey: TEST_KEYS.privateKey, taskId, action: PROFILE_ACTION });

      // Act
      const forEcsTask = await fetch(`${url}/_mounted/heap/profile`, {
        method: 'POST',
        headers: { authorization: token('0f1e2d3c4b5a69788796a5b4c3d2e1f0') },
      });
      const forHostname = await fetch(`${url}/_mounted/heap/profile`, {
        method: 'POST',
        headers: { authorization: token(hostname().replace(/[^A-Za-z0-9._-]/g, '-')) },
      });

      // Assess
      expect(forEcsTask.status).toBe(200);
      expect(forEcsTask.headers.get('x-heapwatch-task-id')).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
      await forEcsTask.arrayBuffer();
      expect(forHostname.status).toBe(401);
    } finally {
      for (const [name, value] of [
        ['ECS_CONTAINER_METADATA_URI_V4', saved.uri],
        ['HEAPWATCH_ADMIN_PATH', saved.path],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await new Promise((resolve) => metadata.close(resolve));
    }
  });

  it('refuses a bad HEAPWATCH_TASK_ID when mounted, instead of failing later inside a request', () => {
    const saved = process.env.HEAPWATCH_TASK_ID;
    process.env.HEAPWATCH_TASK_ID = 'bad:id';
    try {
      expect(() => createAdminRequestHandler({ logger: { info: () => undefined, warn: () => undefined } })).toThrow(
        /task id "bad:id" is invalid/,
      );
    } finally {
      if (saved === undefined) delete process.env.HEAPWATCH_TASK_ID;
      else process.env.HEAPWATCH_TASK_ID = saved;
    }
  });

  it('answers 404 itself when used without next()', async () => {
    const handler = createAdminRequestHandler({ logger: { info: () => undefined, warn: () => undefined } });
    server = createServer((req, res) => handler(req, res));
    const url = await listen(server);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it.each([
    ['createAdminRequestHandler', createAdminRequestHandler],
    ['createAdminKoaMiddleware', createAdminKoaMiddleware],
  ])('works as Koa middleware (%s), leaving the rest of the app alone', async (_name, create) => {
    // Prepare
    const app = new Koa();
    app.use(create({ pathPrefix: '/_heapwatch', logger: { info: () => undefined, warn: () => undefined } }));
    app.use((ctx) => {
      ctx.body = 'shop';
    });
    server = createServer(app.callback());
    const url = await listen(server);
    // Act
    const health = await fetch(`${url}/_heapwatch/healthz`);
    const snapshot = await fetch(`${url}/_heapwatch/heap/snapshot`, { method: 'POST' });
    const page = await fetch(`${url}/`);
    // Assess
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    expect([snapshot.status, await snapshot.json()]).toEqual([503, { error: 'disabled' }]);
    expect(await page.text()).toBe('shop');
  });
});
