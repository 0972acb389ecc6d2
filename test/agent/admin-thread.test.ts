import { type AddressInfo, createServer, Server } from 'node:net';
import { type AdminServer, startAdminServer } from '@heapwatch/agent';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';
import { silentLogger } from './helpers/silent-logger';

/** Ports this isolate listens on (Node's own list of live handles; servers of worker threads are not in it). */
const portsListenedHere = (): number[] =>
  (process as unknown as { _getActiveHandles(): unknown[] })
    ._getActiveHandles()
    .filter((handle): handle is Server => handle instanceof Server && handle.listening)
    .map((server) => (server.address() as AddressInfo).port);

describe('the admin server runs on a thread of its own', () => {
  let server: AdminServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("listens outside the app's isolate, yet reports the app's heap", async () => {
    // Prepare: 64 MiB the app's heap holds and the admin thread's does not
    const retained = Array.from({ length: 64 }, (_, i) => new Array<number>(2 ** 17).fill(i + 0.5)); // 1 MiB of doubles each
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    // Act
    const responses = await Promise.all([fetch(`${server.url}/metrics`), fetch(`${server.url}/healthz`)]);
    const text = await responses[0].text();
    // Assess
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect(portsListenedHere()).not.toContain(server.port);
    expect(sampleValue(parsePrometheusText(text), 'nodejs_heap_size_used_bytes')).toBeGreaterThan(64 * 2 ** 20);
    expect(retained).toHaveLength(64);
  });

  it('frees the port on close, and a second close is harmless', async () => {
    // Prepare
    server = await startAdminServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const { port } = server;
    // Act
    await server.close();
    await server.close();
    server = await startAdminServer({ port, host: '127.0.0.1', logger: silentLogger });
    // Assess
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('rejects with the cause when the port is taken', async () => {
    // Prepare
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      // Act + Assess
      await expect(startAdminServer({ port, host: '127.0.0.1', logger: silentLogger })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        message: expect.stringContaining(String(port)),
      });
    } finally {
      taken.close();
    }
  });
});
