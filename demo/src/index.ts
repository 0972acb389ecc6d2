import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AdminServerOptions, startAdminServer } from '@heapwatch/agent';
import { createDemoApp } from './app';
import { findLeak } from './leaks';

export { createDemoApp } from './app';
export { findLeak, LEAKS, type LeakDefinition, leakNames } from './leaks';

export interface StartDemoOptions {
  /** Site port; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** Admin (agent) port; 0 picks a free one. @default 9464 */
  readonly adminPort?: number;
  /** Interface for both ports (`admin.host` overrides it for the admin port). @default '127.0.0.1' */
  readonly host?: string;
  /** One of `leakNames`. @default 'none' */
  readonly leak?: string;
  /** Public keys that verify capture tokens (HEAPWATCH_PUBLIC_KEYS). @default - captures disabled (503) */
  readonly publicKeys?: readonly string[];
  /** @default - the hostname */
  readonly taskId?: string;
  /** Further agent options (snapshotDir, logger, guards...). @default {} */
  readonly admin?: AdminServerOptions;
}

export interface DemoService {
  readonly siteUrl: string;
  readonly adminUrl: string;
  close(): Promise<void>;
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

/** Starts the demo shop and its agent (on a separate admin port, like a real task). */
export async function startDemo(options: StartDemoOptions = {}): Promise<DemoService> {
  const host = options.host ?? '127.0.0.1';
  const leak = findLeak(options.leak ?? 'none').create();
  const admin = await startAdminServer({
    ...options.admin,
    port: options.adminPort ?? 9464,
    host: options.admin?.host ?? host,
    publicKeys: options.publicKeys ?? options.admin?.publicKeys,
    taskId: options.taskId ?? options.admin?.taskId,
  });
  const site = createServer(createDemoApp(leak).callback());
  try {
    await new Promise<void>((resolve, reject) => {
      site.once('error', reject);
      site.listen(options.port ?? 8080, host, () => resolve());
    });
  } catch (error) {
    await admin.close();
    throw error;
  }
  return {
    siteUrl: urlOf(site, host),
    adminUrl: admin.url,
    close: async () => {
      await new Promise<void>((resolve) => {
        site.close(() => resolve());
        site.closeAllConnections();
      });
      await admin.close();
    },
  };
}
