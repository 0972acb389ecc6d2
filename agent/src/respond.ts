import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AdminAnswer, AdminRequest } from './admin-answer';
import { SNAPSHOT_CHUNK_BYTES } from './snapshot/spool';

function adminRequestOf(req: IncomingMessage): AdminRequest {
  return {
    method: req.method ?? '',
    path: (req.url ?? '/').split('?', 1)[0],
    authorization: req.headers.authorization,
  };
}

/** What writes admin answers to Node requests needs of the endpoints. */
export interface AnswerSource {
  handles(path: string): boolean;
  answer(request: AdminRequest): Promise<AdminAnswer>;
}

/**
 * Answers an admin request on a Node response; resolves false, touching nothing, for other paths. The connection's
 * idle timeout is off while the answer is prepared: a capture freezes the process while V8 writes the snapshot, and
 * the client is waiting, not idle.
 */
export async function answerNodeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  source: AnswerSource,
): Promise<boolean> {
  const request = adminRequestOf(req);
  if (!source.handles(request.path)) return false;
  req.resume(); // a body, if any, means nothing here
  const idleTimeoutMs = req.socket.timeout ?? 0;
  req.socket.setTimeout(0);
  let answer: AdminAnswer;
  try {
    answer = await source.answer(request);
  } finally {
    req.socket.setTimeout(idleTimeoutMs);
  }
  await writeAnswer(res, answer);
  return true;
}

export async function writeAnswer(res: ServerResponse, answer: AdminAnswer): Promise<void> {
  res.writeHead(answer.status, answer.headers);
  if (answer.kind === 'text') {
    res.end(answer.body);
    return;
  }
  const started = performance.now();
  const file = createReadStream(answer.path, { highWaterMark: SNAPSHOT_CHUNK_BYTES });
  let sent = false;
  try {
    await pipeline(file, beforeLastChunk(answer.sizeBytes, answer.ended), res);
    sent = true;
  } catch {
    // the client went away mid-download
  }
  await answer.finished(sent, performance.now() - started);
}

/**
 * Passes chunks through and calls `ended` before it passes the one that completes `sizeBytes`. The read stream's own
 * 'end' comes one more file read later, after the client may already have its last byte and asked again.
 */
function beforeLastChunk(sizeBytes: number, ended: () => void): Transform {
  let handed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const before = handed;
      handed += chunk.length;
      if (before < sizeBytes && handed >= sizeBytes) ended();
      done(null, chunk);
    },
  });
}
