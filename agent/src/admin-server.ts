import { type AdminThread, startAdminThread } from './admin-thread';
import { type AdminServerOptions, DEFAULT_ADMIN_PORT, DEFAULT_MAX_CONNECTIONS, validateServerOptions } from './options';
import { createAdminEndpoints } from './request-handler';

export interface AdminServer {
  /** e.g. `http://127.0.0.1:9464` (a wildcard host is shown as 127.0.0.1). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics`, `/healthz` and `POST /heap/snapshot` on their own port, which the load balancer never
 * routes to, from a thread of its own (see admin-thread.ts for why). Resolves once listening.
 */
export async function startAdminServer(options: AdminServerOptions = {}): Promise<AdminServer> {
  validateServerOptions(options);
  const endpoints = createAdminEndpoints(options);
  await endpoints.warmedUp;
  const host = options.host ?? '0.0.0.0';
  let thread: AdminThread;
  try {
    thread = await startAdminThread(
      {
        port: options.port ?? DEFAULT_ADMIN_PORT,
        host,
        maxHeaderSize: options.maxHeaderSizeBytes ?? 8192,
        headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
        requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
        socketIdleTimeoutMs: options.socketIdleTimeoutMs ?? 60_000,
        maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      },
      endpoints,
      options.logger ?? console,
    );
  } catch (error) {
    await endpoints.close();
    throw error;
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${thread.port}`,
    port: thread.port,
    close: async () => {
      await thread.close();
      await endpoints.close();
    },
  };
}
