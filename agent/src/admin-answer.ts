/**
 * What the admin endpoints decide, apart from the HTTP server that carries it: the same answers are written by the
 * admin server's own thread (admin-thread.ts) and by the handler mounted in an app (respond.ts).
 */
export interface AdminRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The `Authorization` header; only ever compared, never logged. */
  readonly authorization?: string;
}

export type AnswerHeaders = Readonly<Record<string, string>>;

export interface TextAnswer {
  readonly kind: 'text';
  readonly status: number;
  readonly headers: AnswerHeaders;
  readonly body: string;
}

/** A spooled snapshot to stream from disk; the sender reports back, so the endpoint can unlock and delete it. */
export interface FileAnswer {
  readonly kind: 'file';
  readonly status: 200;
  readonly headers: AnswerHeaders;
  readonly path: string;
  /** The file's size: the sender knows its last chunk by it. */
  readonly sizeBytes: number;
  /**
   * The last chunk is about to be handed to the response, so the next capture may start. Called before the client
   * can have the last byte: a client that asks again the moment its download ended must find the capture over.
   */
  ended(): void;
  /** The response finished (`sent`) or the client went away; the file may be deleted. */
  finished(sent: boolean, sendMs: number): Promise<void>;
}

export type AdminAnswer = TextAnswer | FileAnswer;

export function textAnswer(status: number, body: string, contentType = 'text/plain; charset=utf-8'): TextAnswer {
  return {
    kind: 'text',
    status,
    headers: {
      'Content-Type': contentType,
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
    },
    body,
  };
}

export function jsonAnswer(status: number, body: Record<string, unknown>, headers: AnswerHeaders = {}): TextAnswer {
  const text = textAnswer(status, JSON.stringify(body), 'application/json; charset=utf-8');
  return { ...text, headers: { ...text.headers, ...headers } };
}
