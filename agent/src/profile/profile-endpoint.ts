import type { KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { type AdminAnswer, type AdminRequest, jsonAnswer } from '../admin-answer';
import type { ProfileCounter } from '../metrics';
import type { AgentLogger } from '../options';
import type { NonceCache } from '../protocol/nonce-cache';
import { captureFileName } from '../protocol/snapshot-name';
import { PROFILE_ACTION } from '../protocol/token';
import { verifyToken } from '../protocol/verify-token';
import { captureRetryAfterSeconds, tryAcquireCapture } from '../snapshot/capture-lock';
import type { SamplingHeapProfile } from './heap-sampler';
import { withOriginalPositions } from './original-positions';

export interface ProfileEndpointOptions {
  /** Ed25519 public keys that verify tokens; empty when captures are disabled. */
  readonly publicKeys: readonly KeyObject[];
  readonly taskId: string;
  /** The process's heap sampler; absent when sampling is off. */
  readonly sampler?: { read(): SamplingHeapProfile };
  readonly nonces: NonceCache;
  readonly counter: ProfileCounter;
  readonly logger: AgentLogger;
}

/**
 * `POST /heap/profile`: authenticate, refuse when another capture runs, answer the live sampled allocations. The
 * read costs one full GC and the serialisation, so the capture lock is held only while it runs, and the small body
 * is sent from memory.
 */
export class ProfileEndpoint {
  constructor(private readonly options: ProfileEndpointOptions) {}

  handle(request: AdminRequest): AdminAnswer {
    const { counter, logger, taskId, sampler } = this.options;
    if (this.options.publicKeys.length === 0) {
      counter.inc({ result: 'disabled' });
      return jsonAnswer(503, { error: 'disabled' });
    }
    const verified = verifyToken(request.authorization, {
      publicKeys: this.options.publicKeys,
      taskId,
      action: PROFILE_ACTION,
      nonces: this.options.nonces,
    });
    if (!verified.ok) {
      counter.inc({ result: 'unauthorized' });
      return jsonAnswer(401, { error: verified.reason }, { 'WWW-Authenticate': 'Heapwatch' });
    }
    if (!sampler) {
      counter.inc({ result: 'disabled' });
      return jsonAnswer(503, { error: 'disabled', reason: 'heap sampling is off (HEAPWATCH_HEAP_SAMPLING=off)' });
    }
    const release = tryAcquireCapture();
    if (!release) {
      counter.inc({ result: 'busy' });
      return jsonAnswer(409, { error: 'busy' }, { 'Retry-After': String(captureRetryAfterSeconds()) });
    }
    let body: string;
    const started = performance.now();
    try {
      body = JSON.stringify(withOriginalPositions(sampler.read()));
    } catch (error) {
      counter.inc({ result: 'failed' });
      logger.warn(`heapwatch: heap profile failed: ${(error as Error).message}`);
      return jsonAnswer(500, { error: 'failed' });
    } finally {
      release();
    }
    const readMs = performance.now() - started;
    const fileName = captureFileName(taskId, new Date(), 'heapprofile');
    counter.inc({ result: 'ok' });
    logger.info(
      `heapwatch: heap profile ${fileName}: ${Buffer.byteLength(body)} bytes, read in ${Math.round(readMs)} ms`,
    );
    return {
      kind: 'text',
      status: 200,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        'Content-Disposition': `attachment; filename="${fileName}"`,
        'Cache-Control': 'no-store',
        'X-Heapwatch-Task-Id': taskId,
        'X-Heapwatch-Sha256': createHash('sha256').update(body).digest('hex'),
      },
      body,
    };
  }
}
