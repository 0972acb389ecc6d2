/**
 * A small S3-compatible server on 127.0.0.1 for tests and bench:collector: the path-style calls heapwatch makes, over
 * HTTP or HTTPS. It checks what S3 checks before it stores anything: Content-Length, and the CRC32 and SHA-256 that
 * the client sends (`x-amz-checksum-crc32`, `x-amz-checksum-sha256`, 400 BadDigest on a mismatch). A put or a part is
 * stored only once every check passed, and is served from the moment it is answered.
 * Conditional puts (`If-None-Match: *`, `If-Match: <ETag>`) answer 412 as S3 does when their condition fails.
 * CompleteMultipartUpload checks the part list and ETags and records the object as its parts without copying them,
 * as S3 does. With `keepBytes: false` bodies are checked and dropped (bench:collector: S3's storage does not run on
 * the collector's machine). Signatures are not verified; no versioning, no ranges, no delimiters.
 */

import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { escapeXml, S3Error, sendError, sendXml } from './s3-error';
import { removeBody, type StoredBody, storeBody } from './stored-body';

interface ObjectHeaders {
  readonly contentType: string;
  readonly metadata: ReadonlyMap<string, string>;
}

interface PendingUpload extends ObjectHeaders {
  readonly bucket: string;
  readonly key: string;
  readonly parts: Map<number, StoredBody>;
}

interface StoredObject extends ObjectHeaders {
  readonly bytes: number;
  readonly etag: string;
  readonly parts: readonly StoredBody[];
  readonly lastModified: Date;
  /** Base64 SHA-256 of the whole object, when it was put in one go with `x-amz-checksum-sha256`. */
  readonly sha256?: string;
}

export interface LoopbackS3ServerOptions {
  /** Where bodies go; the caller removes it. */
  readonly directory: string;
  /** The only bucket that exists. */
  readonly bucket: string;
  /** Write bodies to files (true) or only check and count them. @default true */
  readonly keepBytes?: boolean;
  /** Serve HTTPS with this key and certificate. @default plain HTTP */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  /** Called with the S3 error code of every refused request (e.g. to assert that a put was refused). */
  readonly onRefused?: (code: string, method: string, key: string) => void;
}

function objectHeaders(req: IncomingMessage): ObjectHeaders {
  const metadata = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata.set(name.slice(11), value);
  return { contentType: req.headers['content-type'] ?? 'binary/octet-stream', metadata };
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class LoopbackS3Server {
  private readonly uploads = new Map<string, PendingUpload>();
  private readonly objects = new Map<string, StoredObject>();
  private slowDowns = 0;

  constructor(private readonly options: LoopbackS3ServerOptions) {}

  /** Answers the next `count` PutObject requests 503 SlowDown after reading their body, as a throttled S3 may. */
  slowDownNextPuts(count: number): void {
    this.slowDowns = count;
  }

  async listen(): Promise<{ port: number; close: () => Promise<void> }> {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      let key = '';
      this.handle(req, res, (parsed) => {
        key = parsed;
      }).catch((error: unknown) => {
        const s3Error = error instanceof S3Error ? error : new S3Error(500, 'InternalError', String(error));
        this.options.onRefused?.(s3Error.code, req.method ?? '', key);
        if (res.headersSent) return void res.destroy();
        req.resume();
        sendError(res, s3Error, req.method);
      });
    };
    const { tls } = this.options;
    const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, onKey: (key: string) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://loopback-s3');
    if (process.env.HEAPWATCH_S3_TRACE) {
      const { authorization: _signature, ...headers } = req.headers;
      process.stderr.write(`loopback-s3: ${req.method} ${url.pathname}${url.search} ${JSON.stringify(headers)}\n`);
    }
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    onKey(key);
    if (bucket !== this.options.bucket) throw new S3Error(404, 'NoSuchBucket', `bucket ${bucket} does not exist`);
    if (key === '') {
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') return this.list(req, res, url);
      throw new S3Error(501, 'NotImplemented', 'bucket-level calls other than ListObjectsV2 are not supported here');
    }
    const uploadId = url.searchParams.get('uploadId');
    const partNumber = url.searchParams.get('partNumber');
    if (req.method === 'POST' && url.searchParams.has('uploads')) return this.createUpload(req, res, bucket, key);
    if (req.method === 'PUT' && uploadId !== null && partNumber !== null)
      return this.uploadPart(req, res, this.pending(uploadId, key), Number(partNumber), uploadId);
    if (req.method === 'POST' && uploadId !== null) return this.complete(req, res, uploadId, key);
    if (req.method === 'DELETE' && uploadId !== null) return this.abort(res, uploadId, key);
    if (req.method === 'PUT' && uploadId === null && !req.headers['x-amz-copy-source'])
      return this.putObject(req, res, key);
    if (req.method === 'HEAD') return this.headObject(req, res, key);
    if (req.method === 'GET') return this.getObject(res, key);
    if (req.method === 'DELETE') return this.deleteObject(res, key);
    throw new S3Error(
      501,
      'NotImplemented',
      `${req.method} ${url.pathname}${url.search} is not supported by this server`,
    );
  }

  private pending(uploadId: string, key: string): PendingUpload {
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || upload.key !== key)
      throw new S3Error(404, 'NoSuchUpload', `upload ${uploadId} of ${key} does not exist`);
    return upload;
  }

  private stored(key: string): StoredObject {
    const object = this.objects.get(key);
    if (object === undefined) throw new S3Error(404, 'NoSuchKey', `${key} does not exist`);
    return object;
  }

  private filePath(name: string): string | undefined {
    return this.options.keepBytes === false ? undefined : join(this.options.directory, name);
  }

  private createUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): void {
    req.resume();
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { bucket, key, parts: new Map(), ...objectHeaders(req) });
    sendXml(
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
    const replaced = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    if (replaced !== undefined && replaced.path !== part.path) await removeBody(replaced);
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
    await Promise.all(unused.map((part) => removeBody(part)));
    await this.replace(key, {
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0),
      etag,
      parts,
      lastModified: new Date(),
      contentType: upload.contentType,
      metadata: upload.metadata,
    });
    this.uploads.delete(uploadId);
    sendXml(
      res,
      `<CompleteMultipartUploadResult><Bucket>${upload.bucket}</Bucket><Key>${escapeXml(key)}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  private async abort(res: ServerResponse, uploadId: string, key: string): Promise<void> {
    const upload = this.pending(uploadId, key);
    this.uploads.delete(uploadId);
    await Promise.all([...upload.parts.values()].map((part) => removeBody(part)));
    res.writeHead(204).end();
  }

  private async putObject(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const headers = objectHeaders(req);
    if (this.slowDowns > 0) {
      this.slowDowns -= 1;
      for await (const _chunk of req);
      throw new S3Error(503, 'SlowDown', 'Please reduce your request rate.');
    }
    const body = await storeBody(req, this.filePath(randomUUID()));
    const refusal = this.unmetCondition(req, key);
    if (refusal !== undefined) {
      await removeBody(body);
      throw refusal;
    }
    await this.replace(key, { ...body, parts: [body], lastModified: new Date(), ...headers });
    res.writeHead(200, { etag: body.etag, ...(body.sha256 ? { 'x-amz-checksum-sha256': body.sha256 } : {}) }).end();
  }

  /** S3's conditional writes, checked when the body is in: `If-None-Match: *` and `If-Match: <ETag>`. */
  private unmetCondition(req: IncomingMessage, key: string): S3Error | undefined {
    const current = this.objects.get(key);
    const ifNoneMatch = req.headers['if-none-match'];
    const ifMatch = req.headers['if-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch !== '*')
      return new S3Error(501, 'NotImplemented', 'If-None-Match takes only * on a put');
    if (ifNoneMatch === '*' && current !== undefined)
      return new S3Error(412, 'PreconditionFailed', `${key} exists (If-None-Match: *)`);
    if (ifMatch !== undefined && current === undefined) return new S3Error(404, 'NoSuchKey', `${key} does not exist`);
    if (ifMatch !== undefined && current !== undefined && ifMatch !== current.etag)
      return new S3Error(412, 'PreconditionFailed', `${key} has ETag ${current.etag}, not ${ifMatch} (If-Match)`);
    return undefined;
  }

  private objectHeaders(object: StoredObject, withChecksum: boolean): Record<string, string | number> {
    const headers: Record<string, string | number> = {
      'content-length': object.bytes,
      'content-type': object.contentType,
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
    };
    if (withChecksum && object.sha256 !== undefined) {
      headers['x-amz-checksum-sha256'] = object.sha256;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    for (const [name, value] of object.metadata) headers[`x-amz-meta-${name}`] = value;
    return headers;
  }

  private headObject(req: IncomingMessage, res: ServerResponse, key: string): void {
    const object = this.stored(key);
    res.writeHead(200, this.objectHeaders(object, req.headers['x-amz-checksum-mode'] === 'ENABLED')).end();
  }

  private async getObject(res: ServerResponse, key: string): Promise<void> {
    const object = this.stored(key);
    if (object.parts.some((part) => part.path === undefined))
      throw new S3Error(501, 'NotImplemented', 'this server was started without keeping bytes');
    res.writeHead(200, this.objectHeaders(object, false));
    for (const part of object.parts) {
      for await (const chunk of createReadStream(part.path as string)) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
    }
    res.end();
  }

  private async deleteObject(res: ServerResponse, key: string): Promise<void> {
    await this.replace(key, undefined);
    res.writeHead(204).end();
  }

  private list(req: IncomingMessage, res: ServerResponse, url: URL): void {
    req.resume();
    const prefix = url.searchParams.get('prefix') ?? '';
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    if (keys.length > 1000)
      throw new S3Error(501, 'NotImplemented', 'listing more than 1,000 keys is not supported here');
    const contents = keys.map((key) => {
      const object = this.stored(key);
      return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.bytes}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    });
    sendXml(
      res,
      `<ListBucketResult><Name>${this.options.bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join('')}</ListBucketResult>`,
    );
  }

  /** Stores (or removes) an object; the replaced object's files are deleted. */
  private async replace(key: string, object: StoredObject | undefined): Promise<void> {
    const previous = this.objects.get(key);
    if (object === undefined) this.objects.delete(key);
    else this.objects.set(key, object);
    if (previous !== undefined) await Promise.all(previous.parts.map((part) => removeBody(part)));
  }
}
