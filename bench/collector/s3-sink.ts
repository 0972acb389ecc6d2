/**
 * A minimal S3-compatible multipart sink for bench:collector only: the few path-style calls the collector's capture
 * path makes, nothing else, over HTTP or HTTPS. Every part's size is checked against Content-Length and its CRC32
 * against the SDK's x-amz-checksum-crc32 when sent; the part is then written to its own file on disk, or, with
 * `keepBytes: false`, dropped (S3's storage does not run on the collector's machine; this one has 2 cores).
 * CompleteMultipartUpload checks the part list and ETags and records the object as its parts without copying them, as
 * S3 does — s3rver instead re-reads and rewrites every byte, which made it, not the collector, the benchmark's limit.
 * No authentication (signatures are not verified), no GET, no listing, no versioning.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';

interface StoredPart {
  /** Undefined when the sink does not keep bytes. */
  readonly path?: string;
  readonly bytes: number;
  readonly etag: string;
}

interface ObjectHeaders {
  readonly contentType: string;
  readonly metadata: ReadonlyMap<string, string>;
}

interface PendingUpload extends ObjectHeaders {
  readonly bucket: string;
  readonly key: string;
  readonly parts: Map<number, StoredPart>;
}

interface StoredObject extends ObjectHeaders {
  readonly bytes: number;
  readonly etag: string;
  readonly parts: readonly StoredPart[];
  readonly lastModified: Date;
}

export interface S3SinkOptions {
  /** Where part files go; the caller removes it. */
  readonly directory: string;
  /** The only bucket that exists. */
  readonly bucket: string;
  /** Write parts to files (true) or only check and count them. @default true */
  readonly keepBytes?: boolean;
  /** Serve HTTPS with this key and certificate. @default plain HTTP */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function objectHeaders(req: IncomingMessage): ObjectHeaders {
  const metadata = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata.set(name.slice(11), value);
  return { contentType: req.headers['content-type'] ?? 'binary/octet-stream', metadata };
}

/** Streams the request body to a file (or nowhere), counting bytes and CRC32 on the way; checks both against the headers. */
async function storeBody(req: IncomingMessage, path: string | undefined): Promise<StoredPart> {
  if (req.headers['x-amz-decoded-content-length'] !== undefined)
    throw new S3Error(501, 'NotImplemented', 'aws-chunked bodies are not supported by this sink: send Content-Length');
  const expected = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(expected)) throw new S3Error(411, 'MissingContentLength', 'Content-Length is required');
  let bytes = 0;
  let checksum = 0;
  const count = (chunk: Buffer) => {
    bytes += chunk.length;
    checksum = crc32(chunk, checksum);
  };
  if (path === undefined) {
    for await (const chunk of req) count(chunk as Buffer);
  } else {
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        count(chunk);
        done(null, chunk);
      },
    });
    await pipeline(req, counter, createWriteStream(path));
  }
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(checksum >>> 0);
  const sentCrc = req.headers['x-amz-checksum-crc32'];
  if (bytes !== expected)
    throw new S3Error(400, 'IncompleteBody', `received ${bytes} bytes, Content-Length said ${expected}`);
  if (typeof sentCrc === 'string' && sentCrc !== crc.toString('base64'))
    throw new S3Error(400, 'BadDigest', `CRC32 ${crc.toString('base64')} differs from x-amz-checksum-crc32 ${sentCrc}`);
  return { path, bytes, etag: `"${crc.toString('hex')}${bytes.toString(16)}"` };
}

async function removePart(part: StoredPart): Promise<void> {
  if (part.path !== undefined) await rm(part.path, { force: true });
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function xml(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class S3Sink {
  private readonly uploads = new Map<string, PendingUpload>();
  private readonly objects = new Map<string, StoredObject>();

  constructor(private readonly options: S3SinkOptions) {}

  async listen(): Promise<{ port: number; close: () => void }> {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        const s3Error = error instanceof S3Error ? error : new S3Error(500, 'InternalError', String(error));
        if (res.headersSent) return void res.destroy();
        req.resume();
        res
          .writeHead(s3Error.status, { 'content-type': 'application/xml' })
          .end(`<Error><Code>${s3Error.code}</Code><Message>${escapeXml(s3Error.message)}</Message></Error>`);
      });
    };
    const { tls } = this.options;
    const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, close: () => server.close() };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sink');
    if (process.env.BENCH_SINK_TRACE) {
      const { authorization: _signature, ...headers } = req.headers;
      process.stderr.write(`s3-sink: ${req.method} ${url.pathname}${url.search} ${JSON.stringify(headers)}\n`);
    }
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    if (bucket !== this.options.bucket) throw new S3Error(404, 'NoSuchBucket', `bucket ${bucket} does not exist`);
    if (key === '') throw new S3Error(501, 'NotImplemented', 'bucket-level calls are not supported by this sink');
    const uploadId = url.searchParams.get('uploadId');
    const partNumber = url.searchParams.get('partNumber');
    if (req.method === 'POST' && url.searchParams.has('uploads')) return this.createUpload(req, res, bucket, key);
    if (req.method === 'PUT' && uploadId !== null && partNumber !== null)
      return this.uploadPart(req, res, this.pending(uploadId, key), Number(partNumber), uploadId);
    if (req.method === 'POST' && uploadId !== null) return this.complete(req, res, uploadId, key);
    if (req.method === 'DELETE' && uploadId !== null) return this.abort(res, uploadId, key);
    if (req.method === 'PUT' && uploadId === null && !req.headers['x-amz-copy-source'])
      return this.putObject(req, res, key);
    if (req.method === 'HEAD') return this.headObject(res, key);
    if (req.method === 'DELETE') return this.deleteObject(res, key);
    throw new S3Error(
      501,
      'NotImplemented',
      `${req.method} ${url.pathname}${url.search} is not supported by this sink`,
    );
  }

  private pending(uploadId: string, key: string): PendingUpload {
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || upload.key !== key)
      throw new S3Error(404, 'NoSuchUpload', `upload ${uploadId} of ${key} does not exist`);
    return upload;
  }

  private filePath(name: string): string | undefined {
    return this.options.keepBytes === false ? undefined : join(this.options.directory, name);
  }

  private createUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): void {
    req.resume();
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { bucket, key, parts: new Map(), ...objectHeaders(req) });
    xml(
      res,
      `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  private async uploadPart(
    req: IncomingMessage,
    res: ServerResponse,
    upload: PendingUpload,
    partNumber: number,
    uploadId: string,
  ): Promise<void> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
      throw new S3Error(400, 'InvalidArgument', `partNumber ${partNumber} is not 1…10000`);
    const part = await storeBody(req, this.filePath(`${uploadId}.${partNumber}`));
    upload.parts.set(partNumber, part);
    res.writeHead(200, { etag: part.etag }).end();
  }

  private async complete(req: IncomingMessage, res: ServerResponse, uploadId: string, key: string): Promise<void> {
    const upload = this.pending(uploadId, key);
    const listed = [...(await readText(req)).matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
      number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part ?? '')?.[1]),
      etag: /<ETag>(.*?)<\/ETag>/.exec(part ?? '')?.[1]?.replace(/&quot;/g, '"'),
    }));
    if (listed.length === 0) throw new S3Error(400, 'MalformedXML', 'CompleteMultipartUpload lists no parts');
    const parts = listed.map(({ number, etag }, index) => {
      const part = upload.parts.get(number);
      if (index > 0 && number <= (listed[index - 1]?.number ?? 0))
        throw new S3Error(400, 'InvalidPartOrder', `part ${number} is out of ascending order`);
      if (part === undefined || part.etag !== etag)
        throw new S3Error(400, 'InvalidPart', `part ${number} with ETag ${etag} was not uploaded`);
      return part;
    });
    const etag = `"${uploadId.replace(/-/g, '')}-${parts.length}"`;
    const unused = [...upload.parts.values()].filter((part) => !parts.includes(part));
    await Promise.all(unused.map((part) => removePart(part)));
    await this.replace(key, {
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0),
      etag,
      parts,
      lastModified: new Date(),
      contentType: upload.contentType,
      metadata: upload.metadata,
    });
    this.uploads.delete(uploadId);
    xml(
      res,
      `<CompleteMultipartUploadResult><Bucket>${upload.bucket}</Bucket><Key>${escapeXml(key)}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  private async abort(res: ServerResponse, uploadId: string, key: string): Promise<void> {
    const upload = this.pending(uploadId, key);
    this.uploads.delete(uploadId);
    await Promise.all([...upload.parts.values()].map((part) => removePart(part)));
    res.writeHead(204).end();
  }

  private async putObject(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const part = await storeBody(req, this.filePath(randomUUID()));
    await this.replace(key, { ...part, parts: [part], lastModified: new Date(), ...objectHeaders(req) });
    res.writeHead(200, { etag: part.etag }).end();
  }

  private headObject(res: ServerResponse, key: string): void {
    const object = this.objects.get(key);
    if (object === undefined) return void res.writeHead(404).end();
    const headers: Record<string, string | number> = {
      'content-length': object.bytes,
      'content-type': object.contentType,
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
    };
    for (const [name, value] of object.metadata) headers[`x-amz-meta-${name}`] = value;
    res.writeHead(200, headers).end();
  }

  private async deleteObject(res: ServerResponse, key: string): Promise<void> {
    await this.replace(key, undefined);
    res.writeHead(204).end();
  }

  /** Stores (or removes) an object; the replaced object's part files are deleted. */
  private async replace(key: string, object: StoredObject | undefined): Promise<void> {
    const previous = this.objects.get(key);
    if (object === undefined) this.objects.delete(key);
    else this.objects.set(key, object);
    if (previous !== undefined) await Promise.all(previous.parts.map((part) => removePart(part)));
  }
}
