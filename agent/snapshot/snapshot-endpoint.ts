import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { NonceCache, nowInSeconds, snapshotFileName, verifyToken } from '../../protocol';
import type { SnapshotCounter } from '../metrics';
import type { AgentLogger } from '../options';
import { sendJson } from '../respond';
import { captureRetryAfterSeconds, type ReleaseCapture, tryAcquireCapture } from './capture-lock';
import { checkCaptureHeadroom, type HeadroomOptions } from './headroom';
import { createPrivateSnapshotDir } from './private-dir';
import { SNAPSHOT_CHUNK_BYTES, spoolHeapSnapshot } from './spool';

export interface SnapshotEndpointOptions {
  /** Current secret first; empty when snapshots are disabled. */
  readonly secrets: readonly string[];
  readonly taskId: string;
  readonly snapshotDir?: string;
  readonly headroom: HeadroomOptions;
  readonly counter: SnapshotCounter;
  readonly logger: AgentLogger;
}

/** `POST /heap/snapshot`: authenticate, refuse when busy or short of headroom, spool, stream, delete. */
export class SnapshotEndpoint {
  private readonly nonces = new NonceCache();
  private ownDir?: Promise<string>;

  constructor(private readonly options: SnapshotEndpointOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume(); // the body, if any, means nothing here
    const { counter } = this.options;
    if (this.options.secrets.length === 0) {
      counter.inc({ result: 'disabled' });
      sendJson(res, 503, { error: 'disabled' });
      return;
    }
    const now = nowInSeconds();
    // Any use spends the token, also one answered 409 or 503: a retry signs a new one.
    const verified = verifyToken(req.headers.authorization, {
      secrets: this.options.secrets,
      taskId: this.options.taskId,
      nowSeconds: now,
      nonces: this.nonces,
    });
    if (!verified.ok) {
      counter.inc({ result: 'unauthorized' });
      sendJson(res, 401, { error: verified.reason }, { 'WWW-Authenticate': 'Heapwatch' });
      return;
    }
    const release = tryAcquireCapture();
    if (!release) {
      counter.inc({ result: 'busy' });
      sendJson(res, 409, { error: 'busy' }, { 'Retry-After': String(captureRetryAfterSeconds()) });
      return;
    }
    try {
      await this.capture(req, res, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Removes the private snapshot directory, if this endpoint made one. */
  async close(): Promise<void> {
    if (this.ownDir) await rm(await this.ownDir, { recursive: true, force: true });
  }

  private snapshotDir(): Promise<string> {
    if (this.options.snapshotDir) return Promise.resolve(this.options.snapshotDir);
    this.ownDir ??= createPrivateSnapshotDir(tmpdir());
    return this.ownDir;
  }

  private async capture(req: IncomingMessage, res: ServerResponse, release: ReleaseCapture): Promise<void> {
    const { counter, logger, taskId } = this.options;
    const dir = await this.snapshotDir();
    const refusal = await checkCaptureHeadroom(dir, this.options.headroom);
    if (refusal) {
      counter.inc({ result: refusal.error });
      logger.warn(
        `heapwatch: snapshot refused (${refusal.error}): needs ~${refusal.neededBytes} bytes, ` +
          `${refusal.freeBytes} free, heapUsed ${refusal.heapUsedBytes}`,
      );
      sendJson(res, 503, { ...refusal });
      release();
      return;
    }
    const fileName = snapshotFileName(taskId, new Date());
    // The event loop freezes while V8 writes; the socket must not count that as idleness.
    const idleTimeoutMs = req.socket.timeout ?? 0;
    req.socket.setTimeout(0);
    let spooled: Awaited<ReturnType<typeof spoolHeapSnapshot>>;
    try {
      spooled = await spoolHeapSnapshot(dir, fileName);
    } catch (error) {
      counter.inc({ result: 'failed' });
      logger.warn(`heapwatch: snapshot failed: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'failed' });
      release();
      return;
    }
    req.socket.setTimeout(idleTimeoutMs);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': spooled.sizeBytes,
      'Content-Disposition': `attachment; filename="${fileName}"`,
      'Cache-Control': 'no-store',
      'X-Heapwatch-Task-Id': taskId,
      'X-Heapwatch-Sha256': spooled.sha256,
    });
    const sendStarted = performance.now();
    const file = createReadStream(spooled.path, { highWaterMark: SNAPSHOT_CHUNK_BYTES });
    // Released once every byte is handed to the response, not after pipeline() has also waited for the file to
    // close on the thread pool: a client that asks again the moment its download ended got a 409 in that gap.
    file.once('end', release);
    try {
      await pipeline(file, res);
      counter.inc({ result: 'ok' });
      logger.info(
        `heapwatch: snapshot ${fileName} sent: ${spooled.sizeBytes} bytes, event loop frozen ` +
          `${Math.round(spooled.writeMs)} ms, hashed in ${Math.round(spooled.hashMs)} ms, ` +
          `sent in ${Math.round(performance.now() - sendStarted)} ms`,
      );
    } catch {
      counter.inc({ result: 'aborted' });
      logger.warn(`heapwatch: snapshot ${fileName} aborted by the client mid-download`);
    } finally {
      release(); // if the client aborted before the end
      await rm(spooled.path, { force: true });
    }
  }
}
