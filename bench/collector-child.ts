/** Child process of bench/collector.ts: one capture into S3, or the raw copy baseline; prints a JSON result. */
import { createWriteStream, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { captureToS3 } from '../collector/capture-to-s3';
import { DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE } from '../collector/s3-put';
import { staticSigningKeySource } from '../collector/signing-key-source';

export const BENCH_TASK_ID = 'bench0000000000000000000000000000';

export interface ChildResult {
  readonly bytes: number;
  readonly seconds: number;
  /** Capture only: from the request to the body's first byte (the agent's V8 write and hash). */
  readonly firstByteSeconds?: number;
  readonly peakRssBytes: number;
  readonly cpuSeconds: number;
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function partSizeBytes(): number | undefined {
  return process.env.BENCH_PART_MIB ? Number(process.env.BENCH_PART_MIB) * 1024 * 1024 : undefined;
}

function queueSize(): number | undefined {
  return process.env.BENCH_QUEUE ? Number(process.env.BENCH_QUEUE) : undefined;
}

function benchS3Client(): S3Client {
  return new S3Client({
    endpoint: process.env.BENCH_S3_ENDPOINT,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // An HTTPS endpoint (the sink) presents the loopback test certificate.
    ...(process.env.BENCH_S3_CA
      ? {
          requestHandler: {
            httpsAgent: new HttpsAgent({ keepAlive: true, ca: readFileSync(process.env.BENCH_S3_CA) }),
          },
        }
      : {}),
  });
}

function peakRssBytes(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The collector's capture; `inParts` sends it down the multipart path that captures over 5 GiB take. */
async function childCapture(inParts: boolean): Promise<ChildResult> {
  const s3 = benchS3Client();
  const started = process.hrtime.bigint();
  let firstByteSeconds: number | undefined;
  const stored = await captureToS3({
    s3,
    bucket: 'snapshots',
    cluster: 'bench',
    service: 'synthetic',
    taskId: process.env.BENCH_TASK_ID ?? BENCH_TASK_ID,
    onProgress: () => {
      firstByteSeconds ??= Number(process.hrtime.bigint() - started) / 1e9;
    },
    url: process.env.BENCH_AGENT_URL ?? '',
    signingKey: staticSigningKeySource(process.env.BENCH_PRIVATE_KEY ?? '', 'BENCH_PRIVATE_KEY'),
    partSizeBytes: partSizeBytes(),
    queueSize: queueSize(),
    ...(inParts ? { singlePutLimitBytes: 0 } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { bytes: stored.bytes, seconds, firstByteSeconds, peakRssBytes: peakRssBytes(), cpuSeconds: cpuSeconds() };
}

async function childRawCopy(): Promise<ChildResult> {
  const target = join(process.env.BENCH_OUT_DIR ?? tmpdir(), 'raw-copy.heapsnapshot');
  const started = process.hrtime.bigint();
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    request(`${process.env.BENCH_AGENT_URL}/raw`, { agent: false }, resolve).on('error', reject).end(),
  );
  await pipeline(response, createWriteStream(target));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = (await stat(target)).size;
  await rm(target);
  return { bytes, seconds, peakRssBytes: peakRssBytes(), cpuSeconds: cpuSeconds() };
}

/**
 * The baseline: the same bytes streamed into one PutObject with the same ChecksumSHA256 (known in advance), so the
 * server does the same work; no token, no collector.
 */
async function childRawPut(): Promise<ChildResult> {
  const s3 = benchS3Client();
  const started = process.hrtime.bigint();
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    request(`${process.env.BENCH_AGENT_URL}/raw`, { agent: false }, resolve).on('error', reject).end(),
  );
  const bytes = Number(response.headers['content-length']);
  await s3.send(
    new PutObjectCommand({
      Bucket: 'snapshots',
      Key: 'raw-put.heapsnapshot',
      Body: response,
      ContentLength: bytes,
      ChecksumSHA256: Buffer.from(process.env.BENCH_SHA256 ?? '', 'hex').toString('base64'),
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { bytes, seconds, peakRssBytes: peakRssBytes(), cpuSeconds: cpuSeconds() };
}

/** The same multipart Upload (same part size and queue) of the same bytes, without the collector: no token, no hashing. */
async function childRawUpload(): Promise<ChildResult> {
  const s3 = benchS3Client();
  const started = process.hrtime.bigint();
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    request(`${process.env.BENCH_AGENT_URL}/raw`, { agent: false }, resolve).on('error', reject).end(),
  );
  const bytes = Number(response.headers['content-length']);
  await new Upload({
    client: s3,
    params: { Bucket: 'snapshots', Key: 'raw-upload.heapsnapshot', Body: response, ContentLength: bytes },
    // The collector's defaults for a snapshot of this size
    partSize: partSizeBytes() ?? DEFAULT_PART_SIZE,
    queueSize: queueSize() ?? DEFAULT_QUEUE_SIZE,
  }).done();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { bytes, seconds, peakRssBytes: peakRssBytes(), cpuSeconds: cpuSeconds() };
}

const children: Record<string, () => Promise<ChildResult>> = {
  capture: () => childCapture(false),
  'capture-parts': () => childCapture(true),
  raw: childRawCopy,
  'raw-put': childRawPut,
  'raw-upload': childRawUpload,
};
const mode = process.env.BENCH_CHILD;
if (mode !== undefined && children[mode]) {
  children[mode]().then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
