/**
 * npm run bench:collector — streams a 2 GiB synthetic heap snapshot from a loopback agent through the collector's
 * capture path (signed POST → sha256 → multipart Upload) into a real S3-compatible server (s3rver), in a child process
 * whose peak RSS (VmHWM) is read at the end. Baseline in the same run: a raw loopback copy of the same bytes from the
 * same server to a file (what `curl -o` does), also in a child process.
 *
 * The "agent" here is a small protocol-v1 server (verifyToken + headers) streaming a file generated in /tmp, because a
 * real 2 GiB snapshot needs a ~1 GB heap and minutes of V8 time; the collector cannot tell the difference.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { build } from 'esbuild';
import S3rver from 's3rver';
import { NonceCache, verifyToken } from '../protocol';
import { type ChildResult, BENCH_SECRET as SECRET, BENCH_TASK_ID as TASK_ID } from './collector-child';

const SIZE_BYTES = Number(process.env.BENCH_SIZE_BYTES ?? 2 * 1024 ** 3);
const WORK_DIR = join(tmpdir(), 'heapwatch-bench-collector');

/**
 * The child is bundled with esbuild like the Lambda is and run by plain `node`, so its RSS is the capture's, not tsx's
 * (tsx alone adds ~37 MB).
 */
async function bundleChild(): Promise<string> {
  const outfile = join(__dirname, 'out', 'collector-child.js');
  await build({
    entryPoints: [join(__dirname, 'collector-child.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** A syntactically heap-snapshot-like file of the requested size; its sha256 is cached beside it. */
async function syntheticSnapshot(): Promise<{ path: string; sha256: string }> {
  const path = join(WORK_DIR, `synthetic-${SIZE_BYTES}.heapsnapshot`);
  if (existsSync(path) && existsSync(`${path}.sha256`))
    return { path, sha256: await readFile(`${path}.sha256`, 'utf8') };
  await mkdir(WORK_DIR, { recursive: true });
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const head = Buffer.from(
    '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"]}},"nodes":[',
  );
  const row = Buffer.from('3,17,12345,64,2,'.repeat(65_536));
  let written = 0;
  const write = async (chunk: Buffer) => {
    hash.update(chunk);
    written += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(head);
  while (written + row.length < SIZE_BYTES - 2) await write(row);
  await write(
    Buffer.concat([Buffer.from('0,'.repeat((SIZE_BYTES - 2 - written) / 2)), Buffer.from('0]}')]).subarray(
      0,
      SIZE_BYTES - written,
    ),
  );
  out.end();
  await once(out, 'finish');
  const sha256 = hash.digest('hex');
  await writeFile(`${path}.sha256`, sha256);
  return { path, sha256 };
}

/** Protocol v1's POST /heap/snapshot answered from a file; GET /raw serves the same bytes for the baseline. */
async function startFileAgent(file: { path: string; sha256: string }): Promise<{ url: string; close: () => void }> {
  const size = (await stat(file.path)).size;
  const nonces = new NonceCache();
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/heap/snapshot') {
      const verdict = verifyToken(req.headers.authorization, { secrets: [SECRET], taskId: TASK_ID, nonces });
      if (!verdict.ok) return void res.writeHead(401).end(JSON.stringify({ error: verdict.reason }));
      res.writeHead(200, { 'content-length': size, 'x-heapwatch-task-id': TASK_ID, 'x-heapwatch-sha256': file.sha256 });
    } else if (req.method === 'GET' && req.url === '/raw') {
      res.writeHead(200, { 'content-length': size });
    } else {
      return void res.writeHead(404).end();
    }
    void pipeline(createReadStream(file.path, { highWaterMark: 1024 * 1024 }), res).catch(() => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function runChild(
  script: string,
  mode: 'capture' | 'raw' | 'raw-put' | 'raw-upload',
  env: Record<string, string>,
): Promise<ChildResult> {
  const flags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [];
  const child = spawn(process.execPath, [...flags, script], {
    env: { ...process.env, ...env, BENCH_CHILD: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the ${mode} child failed with exit code ${code}`);
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as ChildResult;
}

async function main(): Promise<void> {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const file = await syntheticSnapshot();
  const s3Dir = await mkdtemp(join(WORK_DIR, 's3rver-'));
  // Its own process, as S3 is its own system: it must not share an event loop with the loopback agent.
  const s3rver = spawn(process.execPath, ['--import', 'tsx', __filename], {
    env: { ...process.env, BENCH_ROLE: 's3rver', BENCH_S3_DIR: s3Dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let agent: Awaited<ReturnType<typeof startFileAgent>> | undefined;
  try {
    const [portLine] = (await once(createInterface({ input: s3rver.stdout }), 'line')) as [string];
    const port = Number(portLine);
    agent = await startFileAgent(file);
    const script = await bundleChild();
    const s3Env = { BENCH_AGENT_URL: agent.url, BENCH_S3_ENDPOINT: `http://127.0.0.1:${port}` };
    const raw = await runChild(script, 'raw', { BENCH_AGENT_URL: agent.url, BENCH_OUT_DIR: WORK_DIR });
    const rawPut = await runChild(script, 'raw-put', s3Env);
    const rawUpload = await runChild(script, 'raw-upload', s3Env);
    const capture = await runChild(script, 'capture', s3Env);
    const rate = (result: ChildResult) => result.bytes / result.seconds;
    const line = (label: string, result: ChildResult) =>
      `${label.padEnd(52)} ${result.seconds.toFixed(1).padStart(6)} s ${mib(rate(result)).padStart(7)} MiB/s   peak RSS ${mib(result.peakRssBytes)} MiB`;
    const completeSeconds = capture.completeSeconds ?? 0;
    const streamingRate = capture.bytes / (capture.seconds - completeSeconds);
    const percent = (value: number) => `${(value * 100).toFixed(0)} %`;
    process.stdout.write(
      [
        `synthetic snapshot: ${file.path} (${mib(capture.bytes)} MiB), served by a protocol-v1 loopback server`,
        line('raw loopback copy, HTTP → file (curl -o)', raw),
        line('raw copy into the S3 server, one streaming PUT', rawPut),
        line('raw multipart Upload into the S3 server (same parts)', rawUpload),
        line('collector capture, HTTP → sha256 → multipart S3', capture),
        `  of which CompleteMultipartUpload: ${completeSeconds.toFixed(1)} s (s3rver re-reads, re-hashes and concatenates every part; S3 does not)`,
        `  CPU time of the collector process: ${capture.cpuSeconds.toFixed(1)} s`,
        `collector / raw loopback copy:       ${percent(rate(capture) / rate(raw))} (goal ≥ 80 %); until the last part was stored: ${percent(streamingRate / rate(raw))}`,
        `collector / raw copy into S3 server: ${percent(rate(capture) / rate(rawPut))} (one PUT), ${percent(rate(capture) / rate(rawUpload))} (same multipart Upload: the collector's own overhead)`,
        `collector peak RSS (VmHWM): ${mib(capture.peakRssBytes)} MiB (goal ≤ 150 MiB); the same bundle idle after loading: ${mib(raw.peakRssBytes)} MiB`,
        '',
      ].join('\n'),
    );
  } finally {
    agent?.close();
    s3rver.kill();
    await once(s3rver, 'exit');
    await rm(s3Dir, { recursive: true, force: true });
  }
}

/** Role of a child: the S3 server, printing its port. */
async function serveS3(): Promise<void> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: process.env.BENCH_S3_DIR,
    configureBuckets: [{ name: 'snapshots', configs: [] }],
  });
  const { port } = await server.run();
  process.stdout.write(`${port}\n`);
}

(process.env.BENCH_ROLE === 's3rver' ? serveS3() : main()).catch((error: unknown) => {
  process.stderr.write(`bench:collector failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
