import { connect, type Socket } from 'node:net';
import { type AdminServer, startAdminServer } from '@heapwatch/agent';
import { startAdminThread } from '../../agent/src/admin-thread';
import { createAdminEndpoints } from '../../agent/src/request-handler';

/** Polls `probe` every 50 ms until it is true or 15 s passed (a restart waits 0.5 s, then starts a thread). */
async function eventually(probe: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('the admin thread is supervised', () => {
  it('logs a thread that died with its cause and starts it again on the same port', async () => {
    // Prepare
    const messages: string[] = [];
    const logger = { info: (m: string) => messages.push(m), warn: (m: string) => messages.push(m) };
    const endpoints = createAdminEndpoints({ logger });
    await endpoints.warmedUp;
    const thread = await startAdminThread(
      {
        port: 0,
        host: '127.0.0.1',
        maxHeaderSize: 8192,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        socketIdleTimeoutMs: 60_000,
        maxConnections: 32,
      },
      endpoints,
      logger,
    );
    const metricsUrl = `http://127.0.0.1:${thread.port}/metrics`;
    try {
      expect((await fetch(metricsUrl)).status).toBe(200);
      // Act: a message the thread cannot handle throws in it, as a bug would
      thread.current().worker.postMessage(null);
      const back = await eventually(async () => thread.restarts === 1 && (await fetch(metricsUrl)).status === 200);
      // Assess
      expect(back).toBe(true);
      expect(messages.filter((message) => message.includes('admin thread'))).toEqual([
        expect.stringMatching(/^heapwatch: the admin thread died \(.*null.*\); starting it again in 500 ms$/),
        `heapwatch: the admin thread is back on port ${thread.port} (restart 1)`,
      ]);
    } finally {
      await thread.close();
      await endpoints.close();
    }
  }, 30_000);
});

describe('the admin port takes a bounded number of connections', () => {
  let server: AdminServer | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server?.close();
  });

  it('closes connections past the limit at once, and serves again when some close', async () => {
    // Prepare: two idle connections fill a limit of two
    server = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      maxConnections: 2,
      logger: { info: () => undefined, warn: () => undefined },
    });
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(server!.port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
        sockets.push(socket);
      });
    const held = [await open(), await open()];
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Act
    const third = await open();
    const closedAtOnce = await new Promise<boolean>((resolve) => {
      third.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5_000);
    });
    for (const socket of held) socket.destroy();
    const servesAgain = await eventually(async () => (await fetch(`${server!.url}/healthz`)).status === 200);
    // Assess
    expect(closedAtOnce).toBe(true);
    expect(servesAgain).toBe(true);
  });

  it('refuses a limit that cannot work, naming it', async () => {
    await expect(startAdminServer({ port: 0, maxConnections: 0 })).rejects.toThrow(/maxConnections/);
  });
});
