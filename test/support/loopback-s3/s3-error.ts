import type { ServerResponse } from 'node:http';

/** An error S3 answers with: HTTP status, S3 error code and message, as an XML `<Error>` document. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function sendXml(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

/** Answers a failed request as S3 does; a HEAD answer has no body. */
export function sendError(res: ServerResponse, error: S3Error, method: string | undefined): void {
  res.writeHead(error.status, { 'content-type': 'application/xml', 'x-amz-error-code': error.code });
  if (method === 'HEAD') return void res.end();
  res.end(`<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error>`);
}
