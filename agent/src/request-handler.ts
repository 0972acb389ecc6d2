import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdminAnswer, type AdminRequest, jsonAnswer, textAnswer } from './admin-answer';
import { createAgentMetrics, warmUpRegistry } from './metrics';
import { type AdminHandlerOptions, type AgentLogger, taskIdFromHostname, validateHandlerOptions } from './options';
import { DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES, joinHeapSampler } from './profile/heap-sampler';
import { ProfileEndpoint } from './profile/profile-endpoint';
import { parsePublicKey } from './protocol/keys';
import { NonceCache } from './protocol/nonce-cache';
import { answerNodeRequest } from './respond';
import { SnapshotEndpoint } from './snapshot/snapshot-endpoint';

/** Answers an admin request; resolves false when the path is not an admin path (nothing was sent). */
export type AdminRequestListener = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface AdminEndpoints {
  /** Whether a path (without query) is one of the admin paths, prefix included. */
  handles(path: string): boolean;
  /** The answer to an admin request; 404 for other paths. Never rejects: a failure is a 500 answer. */
  answer(request: AdminRequest): Promise<AdminAnswer>;
  /** The same, written to a Node response (for handlers mounted in an app). */
  readonly listener: AdminRequestListener;
  /** Resolves once the registry was collected at start (never rejects; a failing collect is logged). */
  readonly warmedUp: Promise<void>;
  close(): Promise<void>;
}

type Route = {
  readonly methods: readonly string[];
  readonly answer: (request: AdminRequest) => Promise<AdminAnswer>;
};

/** Builds the admin endpoints; shared by the admin server and the handlers mounted in an app. */
export function createAdminEndpoints(options: AdminHandlerOptions): AdminEndpoints {
  validateHandlerOptions(options);
  const logger: AgentLogger = options.logger ?? console;
  const metrics = createAgentMetrics(options);
  const warmedUp = warmUpRegistry(metrics.registry).catch((error: Error) =>
    logger.warn(`heapwatch: collecting the metrics at start failed: ${error.message}`),
  );
  const publicKeys = (options.publicKeys ?? []).map((key) => parsePublicKey(key));
  warnAboutKeys(publicKeys.length, logger);
  const taskId = options.taskId ?? taskIdFromHostname();
  const sampling =
    (options.heapSampling ?? true)
      ? joinHeapSampler(options.heapSamplingIntervalBytes ?? DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES)
      : undefined;
  const nonces = new NonceCache();
  const profiles = new ProfileEndpoint({
    publicKeys,
    taskId,
    sampler: sampling?.sampler,
    nonces,
    counter: metrics.profiles,
    logger,
  });
  const snapshots = new SnapshotEndpoint({
    publicKeys,
    taskId,
    nonces,
    snapshotDir: options.snapshotDir,
    headroom: options,
    counter: metrics.snapshots,
    logger,
  });
  const routes: Record<string, Route> = {
    '/metrics': {
      methods: ['GET', 'HEAD'],
      answer: async () => textAnswer(200, await metrics.registry.metrics(), metrics.registry.contentType),
    },
    '/healthz': { methods: ['GET', 'HEAD'], answer: async () => textAnswer(200, 'ok') },
    '/heap/snapshot': { methods: ['POST'], answer: (request) => snapshots.handle(request) },
    '/heap/profile': { methods: ['POST'], answer: async (request) => profiles.handle(request) },
  };
  const prefix = options.pathPrefix ?? '';
  const routeOf = (path: string): Route | undefined => {
    if (!path.startsWith(prefix)) return undefined;
    const name = path.slice(prefix.length);
    return Object.hasOwn(routes, name) ? routes[name] : undefined;
  };

  const answer = async (request: AdminRequest): Promise<AdminAnswer> => {
    const route = routeOf(request.path);
    if (!route) return jsonAnswer(404, { error: 'not-found' });
    if (!route.methods.includes(request.method)) {
      return jsonAnswer(405, { error: 'method-not-allowed' }, { Allow: route.methods.join(', ') });
    }
    try {
      return await route.answer(request);
    } catch (error) {
      logger.warn(`heapwatch: ${request.method} ${request.path} failed: ${(error as Error).message}`);
      return jsonAnswer(500, { error: 'internal' });
    }
  };
  const endpoints: Omit<AdminEndpoints, 'listener'> = {
    handles: (path) => routeOf(path) !== undefined,
    answer,
    warmedUp,
    close: async () => {
      await warmedUp;
      metrics.close();
      sampling?.leave();
      await snapshots.close();
    },
  };
  return { ...endpoints, listener: (req, res) => answerNodeRequest(req, res, endpoints) };
}

/**
 * Captures need public keys; a private key or a v1 secret in the service's environment would sit in every heap
 * snapshot of it, so both are called out.
 */
function warnAboutKeys(publicKeyCount: number, logger: AgentLogger): void {
  if (publicKeyCount === 0) {
    logger.warn(
      'heapwatch: HEAPWATCH_PUBLIC_KEYS is not set, so POST /heap/snapshot and /heap/profile answer 503 ' +
        '{"error":"disabled"}. Set it to the public key of the collector (`heapwatch keygen` makes a pair).',
    );
  }
  if ('HEAPWATCH_PRIVATE_KEY' in process.env) {
    logger.warn(
      "heapwatch: HEAPWATCH_PRIVATE_KEY is set in this service's environment, so every heap snapshot of it holds " +
        'the key that signs capture tokens. Remove it: the agent needs HEAPWATCH_PUBLIC_KEYS only.',
    );
  }
  if ('HEAPWATCH_SECRET' in process.env) {
    logger.warn(
      'heapwatch: HEAPWATCH_SECRET is ignored (protocol v1 was removed). Remove it and set HEAPWATCH_PUBLIC_KEYS.',
    );
  }
}
