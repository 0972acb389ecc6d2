import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminHandlerOptions } from './options';
import { createAdminEndpoints } from './request-handler';

/** Express/Connect style (also a plain `http.createServer` listener): calls `next()` for other paths, else 404. */
export type AdminRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** The part of a Koa context the middleware uses, so the agent does not depend on Koa. */
export interface KoaLikeContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  respond?: boolean;
}
export type KoaLikeMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

function warnAboutLoadBalancer(options: AdminHandlerOptions): void {
  const prefix = options.pathPrefix ?? '';
  (options.logger ?? console).warn(
    `heapwatch: WARNING: admin endpoints mounted in the application (${prefix}/metrics, ${prefix}/healthz, ` +
      `${prefix}/heap/snapshot). Your load balancer MUST NOT route ${prefix}/heap/snapshot or ${prefix}/metrics ` +
      'from outside: heap snapshots contain user data. Prefer startAdminServer() on its own port.',
  );
}

/**
 * The admin endpoints for an app that cannot open a second port, as Express middleware:
 * `app.use(createAdminRequestHandler({ pathPrefix: '/_heapwatch', ... }))`.
 */
export function createAdminRequestHandler(options: AdminHandlerOptions = {}): AdminRequestHandler {
  const { listener } = createAdminEndpoints(options);
  warnAboutLoadBalancer(options);
  return (req, res, next) => {
    listener(req, res).then(
      (handled) => {
        if (handled) return;
        if (next) next();
        else sendNotFound(res);
      },
      (error: unknown) => (next ? next(error) : res.destroy()),
    );
  };
}

/** The same endpoints as Koa middleware: `app.use(createAdminKoaMiddleware({ pathPrefix: '/_heapwatch', ... }))`. */
export function createAdminKoaMiddleware(options: AdminHandlerOptions = {}): KoaLikeMiddleware {
  const { listener } = createAdminEndpoints(options);
  warnAboutLoadBalancer(options);
  return async (ctx, next) => {
    if (await listener(ctx.req, ctx.res)) {
      ctx.respond = false; // the agent wrote the response itself (it streams snapshots from disk)
      return;
    }
    await next();
  };
}

function sendNotFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end('{"error":"not-found"}');
}
