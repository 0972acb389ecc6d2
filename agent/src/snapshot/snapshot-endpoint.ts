import type { KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type AdminAnswer, type AdminRequest, jsonAnswer } from '../admin-answer';
import type { SnapshotCounter } from '../metrics';
import type { AgentLogger } from '../options';
import type { NonceCache } from '../protocol/nonce-cache';
import { snapshotFileName } from '../protocol/snapshot-name';
import { nowInSeconds } from '../protocol/token';
import { verifyToken } from '../protocol/verify-token';
import { captureRetryAfterSeconds, type ReleaseCapture, tryAcquireCapture } from './capture-lock';
import { checkCaptureHeadroom, type HeadroomOptions } from './headroom';
import { createPrivateSnapshotDir } from './private-dir';
import { spoolHeapSnapshot } from './spool';

export interface SnapshotEndpointOptions {
  /** Ed25519 public keys that verify tokens; empty when captures are disabled. */
  readonly publicKeys: readonly KeyObject[];
  readonly taskId: string;
  /** Used nonces, shared with the other capture endpoint. */
  readonly nonces: NonceCache;
  readonly snapshotDir?: string;
  readonly headroom: HeadroomOptions;
  readonly counter: SnapshotCounter;
  readonly logger: AgentLogger;
}

/** `POST /heap/snapshot`: authenticate, refuse when busy or short of headroom, spool, stream, delete. */
export class SnapshotEndpoint {
  private ownDir?: Promise<string>;

  constructor(private readonly options: SnapshotEndpointOptions) {}

  async handle(request: AdminRequest): Promise<AdminAnswer> {
    const { counter } = this.options;
    if (this.options.publicKeys.length === 0) {
      counter.inc({ result: 'disabled' });
      return jsonAnswer(503, { error: 'disabled' });
    }
    const now = nowInSeconds();
    // Any use spends the token, also one answered 409 or 503: a retry signs a new one.
    const verified = verifyToken(request.authorization, {
      publicKeys: this.options.publicKeys,
      taskId: this.options.taskId,
      nowSeconds: now,
      nonces: this.options.nonces,
    });
    if (!verified.ok) {
      counter.inc({ result: 'unauthorized' });
      return jsonAnswer(401, { error: verified.reason }, { 'WWW-Authenticate': 'Heapwatch' });
    }
    const release = tryAcquireCapture();
    if (!release) {
      counter.inc({ result: 'busy' });
      return jsonAnswer(409, { error: 'busy' }, { 'Retry-After': String(captureRetryAfterSeconds()) });
    }
    try {
      return await this.capture(release);
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

  private async capture(release: ReleaseCapture): Promise<AdminAnswer> {
    const { counter, logger, taskId } = this.options;
    const dir = await this.snapshotDir();
    const refusal = await checkCaptureHeadroom(dir, this.options.headroom);
    if (refusal) {
      counter.inc({ result: refusal.error });
      logger.warn(
        `heapwatch: snapshot refused (${refusal.error}): needs ~${refusal.neededBytes} bytes, ` +
          `${refusal.freeBytes} free, heapUsed ${refusal.heapUsedBytes}`,
      );
      release();
      return jsonAnswer(503, { ...refusal });
    }
    const fileName = snapshotFileName(taskId, new Date());
    let spooled: Awaited<ReturnType<typeof spoolHeapSnapshot>>;
    try {
      spooled = await spoolHeapSnapshot(dir, fileName);
    } catch (error) {
      counter.inc({ result: 'failed' });
      logger.warn(`heapwatch: snapshot failed: ${(error as Error).message}`);
      release();
      return jsonAnswer(500, { error: 'failed' });
    }
    return {
      kind: 'file',
      status: 200,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': String(spooled.sizeBytes),
        'Content-Disposition': `attachment; filename="${fileName}"`,
        'Cache-Control': 'no-store',
        'X-Heapwatch-Task-Id': taskId,
        'X-Heapwatch-Sha256': spooled.sha256,
      },
      path: spooled.path,
      sizeBytes: spooled.sizeBytes,
      ended: release,
      finished: async (sent, sendMs) => {
        release(); // if the client aborted before the end
        if (sent) {
          counter.inc({ result: 'ok' });
          logger.info(
            `heapwatch: snapshot ${fileName} sent: ${spooled.sizeBytes} bytes, event loop frozen ` +
              `${Math.round(spooled.writeMs)} ms, hashed in ${Math.round(spooled.hashMs)} ms, sent in ${Math.round(sendMs)} ms`,
          );
        } else {
          counter.inc({ result: 'aborted' });
          logger.warn(`heapwatch: snapshot ${fileName} aborted by the client mid-download`);
        }
        await rm(spooled.path, { force: true });
      },
    };
  }
}
