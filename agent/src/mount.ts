import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonAnswer } from './admin-answer';
import { type AdminHandlerOptions, validateHandlerOptions } from './options';
import { type AdminRequestListener, createAdminEndpoints } from './request-handler';
import { writeAnswer } from './respond';
import { resolveTaskId } from './task-id';

/** The part of a Koa context the handler uses, so the agent does not depend on Koa. */
export interface KoaLikeContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  respond?: boolean;
}
export type KoaLikeMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;
export type ConnectLikeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * Mountable admin endpoints. Called as `(req, res, next?)` (Express, Connect, a plain `http.createServer`
 * listener): other paths go to `next()`, or get 404 without one. Called as `(ctx, next)` (Koa): other paths go to
 * `next()`.
 */
export type AdminRequestHandler = ConnectLikeHandler & KoaLikeMiddleware;

function warnAboutLoadBalancer(options: AdminHandlerOptions): void {
  const prefix = options.pathPrefix ?? '';
  (options.logger ?? console).warn(
    `heapwatch: WARNING: admin endpoints mounted in the application (${prefix}/metrics, ${prefix}/healthz, ` +
      `${prefix}/heap/snapshot). Your load balancer MUST NOT route ${prefix}/heap/snapshot or ${prefix}/metrics ` +
      'from outside: heap snapshots contain user data. Prefer startAdminServer() on its own port.',
  );
}

function connectStyle(listener: AdminRequestListener): ConnectLikeHandler {
  return (req, res, next) => {
    listener(req, res).then(
      (handled) => {
        if (handled) return;
        if (next) next();
        else void writeAnswer(res, jsonAnswer(404, { error: 'not-found' }));
      },
      (error: unknown) => (next ? next(error) : res.destroy()),
    );
  };
}

function koaStyle(listener: AdminRequestListener): KoaLikeMiddleware {
  return async (ctx, next) => {
    if (await listener(ctx.req, ctx.res)) {
      ctx.respond = false; // the agent wrote the response itself (it streams snapshots from disk)
      return;
    }
    await next();
  };
}

/**
 * The endpoints once the task id is known. Without `taskId` it is resolved as the admin server resolves it
 * (HEAPWATCH_TASK_ID, else the ECS task metadata endpoint, else the hostname): tokens are bound to the ECS task id,
 * so a hostname would fail every capture on Fargate. Requests that arrive meanwhile wait for it.
 */
function endpointsListener(options: AdminHandlerOptions): AdminRequestListener {
  // An explicit id is used (and checked) at once: a bad one throws here, at mount time, not later inside a request.
  const taskId = options.taskId ?? (process.env.HEAPWATCH_TASK_ID?.trim() || undefined);
  if (taskId !== undefined) return createAdminEndpoints({ ...options, taskId }).listener;
  // The metadata lookup never rejects: it falls back to the hostname.
  const ready = resolveTaskId(process.env, { logger: options.logger }).then(
    (taskId) => createAdminEndpoints({ ...options, taskId }).listener,
  );
  return async (req, res) => (await ready)(req, res);
}

/**
 * The admin endpoints as a request handler, usable by Express and Koa alike, e.g. to serve them from a second
 * `http.createServer` on the admin port, or `app.use(...)` in an app whose load balancer blocks the prefix. Logs a
 * warning on every mount.
 * `pathPrefix` defaults to HEAPWATCH_ADMIN_PATH (what `watch(service, { adminPath })` sets).
 */
export function createAdminRequestHandler(options: AdminHandlerOptions = {}): AdminRequestHandler {
  const fromEnv = process.env.HEAPWATCH_ADMIN_PATH?.trim();
  const resolved = { ...options, pathPrefix: options.pathPrefix ?? (fromEnv || undefined) };
  validateHandlerOptions(resolved);
  const listener = endpointsListener(resolved);
  warnAboutLoadBalancer(resolved);
  const connect = connectStyle(listener);
  const koa = koaStyle(listener);
  // Koa calls middleware with (ctx, next); Express with (req, res, next): the second argument tells them apart.
  const handler = (first: IncomingMessage | KoaLikeContext, second: unknown, third?: (error?: unknown) => void) =>
    typeof second === 'function'
      ? koa(first as KoaLikeContext, second as () => Promise<unknown>)
      : connect(first as IncomingMessage, second as ServerResponse, third);
  return handler as AdminRequestHandler;
}

/** The same endpoints, typed as Koa middleware only. */
export function createAdminKoaMiddleware(options: AdminHandlerOptions = {}): KoaLikeMiddleware {
  return createAdminRequestHandler(options);
}
