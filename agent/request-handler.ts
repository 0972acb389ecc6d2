import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAgentMetrics } from './metrics';
import { type AdminHandlerOptions, type AgentLogger, taskIdFromHostname, validateHandlerOptions } from './options';
import { sendJson, sendText } from './respond';
import { SnapshotEndpoint } from './snapshot/snapshot-endpoint';

/** Answers an admin request; resolves false when the path is not an admin path (nothing was sent). */
export type AdminRequestListener = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface AdminEndpoints {
  readonly listener: AdminRequestListener;
  close(): Promise<void>;
}

type Route = {
  readonly methods: readonly string[];
  readonly answer: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
};

/** Builds the three admin endpoints; shared by the admin server and the handlers mounted in an app. */
export function createAdminEndpoints(options: AdminHandlerOptions): AdminEndpoints {
  validateHandlerOptions(options);
  const logger: AgentLogger = options.logger ?? console;
  const metrics = createAgentMetrics(options);
  const secrets = [options.secret, options.previousSecret].filter((s): s is string => s !== undefined);
  if (options.secret === undefined) {
    logger.warn(
      'heapwatch: HEAPWATCH_SECRET is not set, so POST /heap/snapshot answers 503 {"error":"disabled"}. ' +
        'Set it to at least 32 random bytes (openssl rand -hex 32) to enable heap snapshots.',
    );
  }
  const snapshots = new SnapshotEndpoint({
    secrets: options.secret === undefined ? [] : secrets,
    taskId: options.taskId ?? taskIdFromHostname(),
    snapshotDir: options.snapshotDir,
    headroom: options,
    counter: metrics.snapshots,
    logger,
  });
  const routes: Record<string, Route> = {
    '/metrics': {
      methods: ['GET', 'HEAD'],
      answer: async (_req, res) => sendText(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
    },
    '/healthz': { methods: ['GET', 'HEAD'], answer: async (_req, res) => sendText(res, 200, 'ok') },
    '/heap/snapshot': { methods: ['POST'], answer: (req, res) => snapshots.handle(req, res) },
  };
  const prefix = options.pathPrefix ?? '';

  const listener: AdminRequestListener = async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (!path.startsWith(prefix)) return false;
    const route = Object.hasOwn(routes, path.slice(prefix.length)) ? routes[path.slice(prefix.length)] : undefined;
    if (!route) return false;
    try {
      if (!route.methods.includes(req.method ?? '')) {
        req.resume();
        sendJson(res, 405, { error: 'method-not-allowed' }, { Allow: route.methods.join(', ') });
      } else {
        await route.answer(req, res);
      }
    } catch (error) {
      logger.warn(`heapwatch: ${req.method} ${path} failed: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    }
    return true;
  };
  return { listener, close: () => snapshots.close() };
}
