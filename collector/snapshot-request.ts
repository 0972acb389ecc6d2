import type { KeyObject } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import { type CaptureKind, PROFILE_ACTION, SNAPSHOT_ACTION, signToken } from '@heapwatch/agent/protocol';
import { CaptureError, errorMessage } from './capture-error';

export interface SnapshotTimeouts {
  /** From sending the request to the response headers: V8 freezes the agent while it writes the snapshot
   * (measured ~28 s for a 193 MB heap), so this is generous. @default 600_000 (10 minutes) */
  readonly responseMs?: number;
  /** Longest silence between two chunks of the body. @default 60_000 */
  readonly idleMs?: number;
}

/** One HTTP answer to a signed `POST /heap/snapshot` or `POST /heap/profile`. */
export interface SnapshotAnswer {
  readonly status: number;
  readonly response: IncomingMessage;
}

/** The admin path and the token action of each kind of capture. */
export const CAPTURE_ENDPOINTS: Readonly<Record<CaptureKind, { readonly path: string; readonly action: string }>> = {
  heapsnapshot: { path: '/heap/snapshot', action: SNAPSHOT_ACTION },
  heapprofile: { path: '/heap/profile', action: PROFILE_ACTION },
};
export const DEFAULT_RESPONSE_MS = 600_000;
const DEFAULT_IDLE_MS = 60_000;

/** `http://host:port` → the capture endpoint; only plain HTTP, the admin port has no TLS. */
export function captureUrl(baseUrl: string, kind: CaptureKind = 'heapsnapshot'): URL {
  let url: URL;
  try {
    // A base path is the prefix of handlers mounted in an app, e.g. http://10.0.1.23:8080/_heapwatch.
    const base = new URL(baseUrl);
    url = new URL(`${base.pathname.replace(/\/+$/, '')}${CAPTURE_ENDPOINTS[kind].path}`, base);
  } catch {
    throw new Error(
      `agent URL ${JSON.stringify(baseUrl)} is invalid: use http://<host>:<admin port>, e.g. http://10.0.1.23:9464`,
    );
  }
  if (url.protocol !== 'http:') {
    throw new Error(
      `agent URL ${JSON.stringify(baseUrl)} is invalid: the admin port speaks plain http://, not ${url.protocol}`,
    );
  }
  return url;
}

/** Sends one signed request; resolves with the response (body unread), rejects with a CaptureError. */
export function postCaptureRequest(
  url: URL,
  taskId: string,
  privateKey: KeyObject,
  action: string,
  timeouts: SnapshotTimeouts = {},
): Promise<SnapshotAnswer> {
  const responseMs = timeouts.responseMs ?? DEFAULT_RESPONSE_MS;
  const idleMs = timeouts.idleMs ?? DEFAULT_IDLE_MS;
  return new Promise((resolve, reject) => {
    let answer: IncomingMessage | undefined;
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: signToken({ privateKey, taskId, action }),
        'content-length': '0',
        accept: 'application/json',
      },
    });
    req.setTimeout(responseMs, () => {
      if (answer) {
        // Reported through the body stream, which its reader is consuming.
        answer.destroy(new CaptureError(taskId, 'timeout', `the snapshot body stalled for ${idleMs / 1000} s`));
        return;
      }
      req.destroy(
        new CaptureError(
          taskId,
          'timeout',
          `no answer from ${url.origin} within ${responseMs / 1000} s (capture still frozen, or the task hangs)`,
        ),
      );
    });
    req.on('error', (error) => {
      if (answer) return; // reported through the response stream
      reject(
        error instanceof CaptureError
          ? error
          : new CaptureError(
              taskId,
              'unreachable',
              `cannot reach the agent at ${url.origin} (${errorMessage(error)}): is the agent's admin server listening on that port, and may the collector's security group reach it?`,
              { cause: error },
            ),
      );
    });
    req.on('response', (response) => {
      answer = response;
      req.setTimeout(idleMs);
      resolve({ status: response.statusCode ?? 0, response });
    });
    req.end();
  });
}

/** Reads a small error body (at most 16 KiB) as JSON, for the `error` field of a non-200 answer. */
export async function readErrorBody(response: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response) {
    if (length < 16_384) chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  const text = Buffer.concat(chunks).toString('utf8').slice(0, 16_384);
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { error: text };
  } catch {
    return { error: text.trim() };
  }
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
