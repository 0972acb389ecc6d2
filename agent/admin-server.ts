import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type AdminServerOptions, DEFAULT_ADMIN_PORT, validateServerOptions } from './options';
import { createAdminEndpoints } from './request-handler';
import { sendJson } from './respond';

export interface AdminServer {
  /** e.g. `http://127.0.0.1:9464` (a wildcard host is shown as 127.0.0.1). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics`, `/healthz` and `POST /heap/snapshot` on their own port, which the load balancer never
 * routes to. Resolves once listening.
 */
export async function startAdminServer(options: AdminServerOptions = {}): Promise<AdminServer> {
  validateServerOptions(options);
  const endpoints = createAdminEndpoints(options);
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderSizeBytes ?? 8192,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      // How often the two timeouts above are checked (Node's default, 30 s, lets slow clients linger).
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: 5000,
    },
    (req, res) => {
      endpoints.listener(req, res).then(
        (handled) => {
          if (handled) return;
          req.resume();
          sendJson(res, 404, { error: 'not-found' });
        },
        () => res.destroy(),
      );
    },
  );
  // Without a listener Node drops CONNECT requests silently; answer them like any other wrong method.
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  server.setTimeout(options.socketIdleTimeoutMs ?? 60_000, (socket) => socket.destroy());
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_ADMIN_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await endpoints.close();
    },
  };
}
