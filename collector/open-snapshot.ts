import type { KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { type CaptureKind, publicKeyOf } from '@heapwatch/agent/protocol';
import { CaptureError } from './capture-error';
import type { SigningKeySource } from './signing-key-source';
import {
  CAPTURE_ENDPOINTS,
  captureUrl,
  postCaptureRequest,
  readErrorBody,
  retryAfterMs,
  type SnapshotTimeouts,
} from './snapshot-request';

export interface OpenSnapshotOptions {
  /** The agent's admin server, `http://<ip>:<admin port>`. */
  readonly url: string;
  readonly taskId: string;
  readonly signingKey: SigningKeySource;
  /** A full heap snapshot, or the sampling heap profiler's live allocations. @default 'heapsnapshot' */
  readonly kind?: CaptureKind;
  readonly timeouts?: SnapshotTimeouts;
  /** How long to keep retrying while another capture runs (409 busy). @default 300_000 */
  readonly maxBusyWaitMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Give up at this time, in epoch ms — e.g. before the Lambda times out: the wait for a busy agent ends before it,
   * and captureToS3 aborts a transfer still running at it. @default none
   */
  readonly deadline?: number;
}

/** A 200 answer whose body is the capture, with what the agent promised about it. */
export interface OpenSnapshot {
  readonly body: IncomingMessage;
  readonly sha256: string;
  readonly bytes: number;
}

const DEFAULT_MAX_BUSY_WAIT_MS = 300_000;
/**
 * Time a capture needs at least before the deadline: a try that leaves less would freeze the task for a capture
 * that is then cut off.
 */
export const MIN_CAPTURE_BUDGET_MS = 60_000;
const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * Asks an agent for a snapshot until it answers 200 or fails for good. A 401 bad-signature is retried once with the
 * key read afresh if it changed (the cached one may predate a rotation); 409 busy is retried after `Retry-After` within a bound;
 * 503 insufficient memory is never retried, since forcing a capture could kill the task.
 */
export async function openSnapshot(options: OpenSnapshotOptions): Promise<OpenSnapshot> {
  const kind = options.kind ?? 'heapsnapshot';
  const url = captureUrl(options.url, kind);
  const sleep = options.sleep ?? ((ms: number) => sleepMs(ms));
  const maxBusyWaitMs = options.maxBusyWaitMs ?? DEFAULT_MAX_BUSY_WAIT_MS;
  let key = await options.signingKey.get();
  let reread = false;
  let busyWaitedMs = 0;
  for (;;) {
    const { status, response } = await postCaptureRequest(
      url,
      options.taskId,
      key,
      CAPTURE_ENDPOINTS[kind].action,
      options.timeouts,
    );
    if (status === 200) return acceptSnapshot(options.taskId, response);
    const body = await readErrorBody(response);
    const error = typeof body.error === 'string' ? body.error : '';
    if (status === 401) {
      if (error === 'bad-signature' && !reread) {
        reread = true;
        options.signingKey.invalidate();
        const fresh = await options.signingKey.get();
        if (!fresh.equals(key)) {
          key = fresh;
          continue;
        }
      }
      throw unauthorized(options.taskId, error, key);
    }
    if (status === 409) {
      const waitMs = retryAfterMs(response.headers['retry-after']) ?? DEFAULT_RETRY_AFTER_MS;
      const limit =
        busyWaitedMs + waitMs > maxBusyWaitMs
          ? `limit ${maxBusyWaitMs / 1000} s`
          : options.deadline !== undefined && Date.now() + waitMs + MIN_CAPTURE_BUDGET_MS >= options.deadline
            ? `the next try would leave less than ${MIN_CAPTURE_BUDGET_MS / 1000} s before the deadline ${new Date(options.deadline).toISOString()}`
            : undefined;
      if (limit !== undefined) {
        throw new CaptureError(
          options.taskId,
          'busy',
          `another capture kept the agent busy for ${Math.round(busyWaitedMs / 1000)} s (${limit}): try again when it is done`,
        );
      }
      await sleep(waitMs);
      busyWaitedMs += waitMs;
      continue;
    }
    if (status === 503 && (error === 'insufficient-memory' || error === 'insufficient-disk')) {
      const resource = error === 'insufficient-memory' ? 'memory' : 'disk';
      throw new CaptureError(
        options.taskId,
        error,
        `the agent refused: not enough ${resource} headroom for a capture ${JSON.stringify(body)}. Not retried — a capture needs several times the heap in ${resource} and could get the task killed; raise the task's ${resource === 'memory' ? 'memory' : 'ephemeral storage'}, or capture earlier in the leak`,
      );
    }
    if (status === 503 && error === 'disabled') {
      throw new CaptureError(
        options.taskId,
        'disabled',
        kind === 'heapprofile' && typeof body.reason === 'string'
          ? `heap profiles are disabled on this agent: ${body.reason}`
          : 'captures are disabled on this agent: set HEAPWATCH_PUBLIC_KEYS (the public key of the collector’s signing key) in the task definition',
      );
    }
    if (status === 404 && kind === 'heapprofile') {
      throw new CaptureError(
        options.taskId,
        'disabled',
        `the agent at ${url.origin} has no ${url.pathname}: upgrade @heapwatch/agent to take heap profiles`,
      );
    }
    throw new CaptureError(
      options.taskId,
      'bad-response',
      `unexpected answer ${status} ${JSON.stringify(body).slice(0, 200)} from ${url.origin}: is a heapwatch agent (protocol v2) listening there?`,
    );
  }
}

function unauthorized(taskId: string, reason: string, key: KeyObject): CaptureError {
  const fixes: Record<string, string> = {
    'bad-signature': `the agent’s HEAPWATCH_PUBLIC_KEYS does not hold the public key of the signing key (${publicKeyOf(key)}): redeploy the service with it (a task picks up new keys when it restarts)`,
    expired: 'the token looked expired to the agent: the collector’s and the task’s clocks differ by more than 30 s',
    replayed: 'the agent had already seen this token’s nonce: another client may be replaying requests',
  };
  const fix = fixes[reason] ?? 'the agent does not understand heapwatch protocol v2 tokens: upgrade @heapwatch/agent';
  return new CaptureError(taskId, 'unauthorized', `401 ${reason || 'unauthorized'}: ${fix}`);
}

function acceptSnapshot(taskId: string, response: IncomingMessage): OpenSnapshot {
  const sha256 = response.headers['x-heapwatch-sha256'];
  const length = Number(response.headers['content-length']);
  const answeredBy = response.headers['x-heapwatch-task-id'];
  const problem =
    typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)
      ? `no valid X-Heapwatch-Sha256 header (${JSON.stringify(sha256)})`
      : !Number.isSafeInteger(length) || length <= 0
        ? `no valid Content-Length (${JSON.stringify(response.headers['content-length'])})`
        : answeredBy !== undefined && answeredBy !== taskId
          ? `the snapshot came from task ${JSON.stringify(answeredBy)}: that IP now belongs to another task`
          : undefined;
  if (problem !== undefined || typeof sha256 !== 'string') {
    response.destroy();
    throw new CaptureError(taskId, 'bad-response', `${problem}; upgrade the agent to protocol v2`);
  }
  return { body: response, sha256, bytes: length };
}
