import { Worker } from 'node:worker_threads';
import type { AdminAnswer, AdminRequest, FileAnswer, TextAnswer } from './admin-answer';
import type { AgentLogger } from './options';
import type { AdminEndpoints } from './request-handler';
import { SNAPSHOT_CHUNK_BYTES } from './snapshot/spool';

/** HTTP settings of the admin port, passed to its thread. */
export interface AdminThreadSettings {
  readonly port: number;
  readonly host: string;
  readonly maxHeaderSize: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly socketIdleTimeoutMs: number;
  /** Connections beyond this many open ones are closed as they arrive. */
  readonly maxConnections: number;
}

/** Main thread → admin thread: the answer to request `id`, without the file answer's callbacks. */
type AnswerMessage = { readonly id: number } & (TextAnswer | Omit<FileAnswer, 'ended' | 'finished'>);

/** Admin thread → main thread. */
type ThreadMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-error'; readonly message: string; readonly code?: string }
  | { readonly type: 'request'; readonly id: number; readonly request: AdminRequest }
  | { readonly type: 'file-ended'; readonly id: number }
  | { readonly type: 'file-finished'; readonly id: number; readonly sent: boolean; readonly sendMs: number };

/**
 * The admin port's HTTP server, run in its own thread. Plain JavaScript, so the thread needs no TypeScript loader
 * and survives bundling. Node's http and stream functions are shared by every server of an isolate: when the admin
 * server ran beside the app's, its requests (other object shapes than the app framework's) made V8 deoptimise and
 * recompile them for both, and the site served up to 11 % fewer requests from then on (bench:agent, scraped before
 * its load). Here the admin requests never touch the app's isolate: the main thread only receives {method, path, authorization} and answers
 * with a text or the path of a spooled snapshot, which this thread streams.
 */
const ADMIN_THREAD_SOURCE = `
const { parentPort, workerData: settings } = require('node:worker_threads');
const { createServer } = require('node:http');
const { createReadStream } = require('node:fs');
const { pipeline, Transform } = require('node:stream');
const pending = new Map();
let nextId = 0;
parentPort.on('message', (answer) => {
  const respond = pending.get(answer.id);
  if (!respond) return;
  pending.delete(answer.id);
  respond(answer);
});
const server = createServer({
  maxHeaderSize: settings.maxHeaderSize,
  headersTimeout: settings.headersTimeoutMs,
  requestTimeout: settings.requestTimeoutMs,
  connectionsCheckingInterval: 1000,
  keepAliveTimeout: 5000,
}, (req, res) => {
  req.resume();
  const id = ++nextId;
  // A capture freezes the main thread while V8 writes: the client is waiting, not idle.
  req.socket.setTimeout(0);
  pending.set(id, (answer) => {
    req.socket.setTimeout(settings.socketIdleTimeoutMs);
    res.writeHead(answer.status, answer.headers);
    if (answer.kind === 'text') return void res.end(answer.body);
    const started = performance.now();
    const file = createReadStream(answer.path, { highWaterMark: settings.chunkBytes });
    // 'file-ended' goes out before the last chunk does, so it reaches the main thread before any request the client
    // can send once it has that chunk (messages of one port keep their order); the read stream's own 'end' comes a
    // file read later, and a client that asked again at once found the capture still locked.
    let handed = 0;
    const beforeLastChunk = new Transform({
      transform(chunk, _encoding, done) {
        const before = handed;
        handed += chunk.length;
        if (before < answer.sizeBytes && handed >= answer.sizeBytes) parentPort.postMessage({ type: 'file-ended', id });
        done(null, chunk);
      },
    });
    pipeline(file, beforeLastChunk, res, (error) =>
      parentPort.postMessage({ type: 'file-finished', id, sent: !error, sendMs: performance.now() - started }));
  });
  const request = { method: req.method || '', path: (req.url || '/').split('?', 1)[0] };
  if (req.headers.authorization !== undefined) request.authorization = req.headers.authorization;
  parentPort.postMessage({ type: 'request', id, request });
});
server.on('connect', (_req, socket) => {
  socket.on('error', () => undefined);
  socket.end('HTTP/1.1 405 Method Not Allowed\\r\\nConnection: close\\r\\nContent-Length: 0\\r\\n\\r\\n');
});
server.setTimeout(settings.socketIdleTimeoutMs, (socket) => socket.destroy());
// Past the limit Node closes each new connection at once: a flood of clients cannot exhaust the thread or the
// process's file descriptors, and Prometheus and the collector retry.
server.maxConnections = settings.maxConnections;
server.once('error', (error) => parentPort.postMessage({ type: 'listen-error', message: error.message, code: error.code }));
server.listen(settings.port, settings.host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
`;

export interface AdminThread {
  readonly port: number;
  /** How many times the thread died and was started again. */
  readonly restarts: number;
  close(): Promise<void>;
}

/** The thread of the moment, as the supervisor sees it. */
export interface RunningAdminThread {
  readonly worker: Worker;
  readonly port: number;
  /** Settles when the thread stops: with the reason it died, or undefined once terminated on purpose. */
  readonly stopped: Promise<string | undefined>;
  terminate(): Promise<void>;
}

/** Delays before starting a dead admin thread again: doubling from 0.5 s up to 30 s, reset after 60 s of running. */
export const RESTART_BACKOFF = { firstMs: 500, maxMs: 30_000, healthyAfterMs: 60_000 } as const;

/**
 * Starts the admin port's thread and answers its requests from `endpoints`; resolves once it listens. A thread that
 * dies (an uncaught error in it, a crash) is logged with its cause and started again on the same port, with backoff;
 * the service's own traffic never notices, since it runs in the main thread.
 */
export async function startAdminThread(
  settings: AdminThreadSettings,
  endpoints: AdminEndpoints,
  logger: AgentLogger,
): Promise<AdminThread & { current(): RunningAdminThread }> {
  let running = await spawnAdminThread(settings, endpoints);
  const port = running.port;
  let restarts = 0;
  let closing = false;
  let wake: (() => void) | undefined;
  const supervise = async () => {
    let delayMs: number = RESTART_BACKOFF.firstMs;
    for (;;) {
      const startedAt = Date.now();
      const cause = await running.stopped;
      if (closing || cause === undefined) return;
      if (Date.now() - startedAt >= RESTART_BACKOFF.healthyAfterMs) delayMs = RESTART_BACKOFF.firstMs;
      logger.warn(`heapwatch: the admin thread died (${cause}); starting it again in ${delayMs} ms`);
      for (;;) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, delayMs).unref();
        });
        if (closing) return;
        delayMs = Math.min(delayMs * 2, RESTART_BACKOFF.maxMs);
        try {
          running = await spawnAdminThread({ ...settings, port }, endpoints);
          restarts++;
          logger.info(`heapwatch: the admin thread is back on port ${port} (restart ${restarts})`);
          break;
        } catch (error) {
          logger.warn(
            `heapwatch: the admin thread could not start again (${(error as Error).message}); next try in ${delayMs} ms`,
          );
        }
      }
    }
  };
  const supervising = supervise();
  let closed: Promise<void> | undefined;
  return {
    port,
    get restarts() {
      return restarts;
    },
    current: () => running,
    close: () => {
      closed ??= (async () => {
        closing = true;
        wake?.();
        await running.terminate();
        await supervising;
      })();
      return closed;
    },
  };
}

/** One admin thread: listening on `settings.port` once this resolves. */
async function spawnAdminThread(settings: AdminThreadSettings, endpoints: AdminEndpoints): Promise<RunningAdminThread> {
  const worker = new Worker(ADMIN_THREAD_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: { ...settings, chunkBytes: SNAPSHOT_CHUNK_BYTES },
  });
  const files = new Map<number, FileAnswer>();
  const reply = (id: number, answer: AdminAnswer) => {
    let message: AnswerMessage;
    if (answer.kind === 'file') {
      files.set(id, answer);
      message = {
        id,
        kind: 'file',
        status: answer.status,
        headers: answer.headers,
        path: answer.path,
        sizeBytes: answer.sizeBytes,
      };
    } else {
      message = { id, ...answer };
    }
    worker.postMessage(message);
  };
  let terminating = false;
  let failure: string | undefined;
  const listening = new Promise<number>((resolve, reject) => {
    worker.on('message', (message: ThreadMessage) => {
      switch (message.type) {
        case 'listening':
          return resolve(message.port);
        case 'listen-error':
          return reject(Object.assign(new Error(message.message), { code: message.code }));
        case 'request':
          return void endpoints.answer(message.request).then((answer) => reply(message.id, answer));
        case 'file-ended':
          return files.get(message.id)?.ended();
        case 'file-finished': {
          const file = files.get(message.id);
          files.delete(message.id);
          return void file?.finished(message.sent, message.sendMs);
        }
      }
    });
    worker.on('error', (error) => {
      failure = error.message;
      reject(error);
    });
    worker.once('exit', (code) => reject(new Error(`the admin thread exited with code ${code}`)));
  });
  /** A thread that is gone will not report on its downloads: unlock and delete them. */
  const abandonFiles = async () => {
    const left = [...files.values()];
    files.clear();
    await Promise.all(left.map((file) => file.finished(false, 0)));
  };
  const stopped = new Promise<string | undefined>((resolve) => {
    worker.once('exit', (code) => {
      void abandonFiles().then(() => resolve(terminating ? undefined : (failure ?? `exited with code ${code}`)));
    });
  });
  let port: number;
  try {
    port = await listening;
  } catch (error) {
    terminating = true;
    await worker.terminate();
    throw error;
  }
  return {
    worker,
    port,
    stopped,
    terminate: async () => {
      terminating = true;
      await worker.terminate();
      await stopped;
    },
  };
}
