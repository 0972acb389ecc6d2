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

async function runChild(script: string, mode: 'capture' | 'raw', env: Record<string, string>): Promise<ChildResult> {
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
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: 'snapshots', configs: [] }],
  });
  const { port } = await s3rver.run();
  const agent = await startFileAgent(file);
  const script = await bundleChild();
  try {
    const raw = await runChild(script, 'raw', { BENCH_AGENT_URL: agent.url, BENCH_OUT_DIR: WORK_DIR });
    const parentCpuBefore = process.cpuUsage();
    const capture = await runChild(script, 'capture', {
      BENCH_AGENT_URL: agent.url,
      BENCH_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    const parentCpu = process.cpuUsage(parentCpuBefore);
    process.stdout.write(
      `cpu: collector child ${capture.cpuSeconds.toFixed(1)} s, s3rver + agent (parent) ${((parentCpu.user + parentCpu.system) / 1e6).toFixed(1)} s\n`,
    );
    const rawRate = raw.bytes / raw.seconds;
    const captureRate = capture.bytes / capture.seconds;
    process.stdout.write(
      [
        `synthetic snapshot: ${file.path} (${mib(capture.bytes)} MiB)`,
        `raw loopback copy (HTTP → file):          ${raw.seconds.toFixed(1)} s, ${mib(rawRate)} MiB/s, peak RSS ${mib(raw.peakRssBytes)} MiB`,
        `collector capture (HTTP → sha256 → S3):   ${capture.seconds.toFixed(1)} s, ${mib(captureRate)} MiB/s, peak RSS ${mib(capture.peakRssBytes)} MiB`,
        `  of which s3rver's CompleteMultipartUpload (re-reads, re-hashes, concatenates the parts; instant on S3): ${(capture.completeSeconds ?? 0).toFixed(1)} s`,
        `  streaming phase (until the last part is stored): ${mib(capture.bytes / (capture.seconds - (capture.completeSeconds ?? 0)))} MiB/s, ${((capture.bytes / (capture.seconds - (capture.completeSeconds ?? 0)) / rawRate) * 100).toFixed(0)} % of raw`,
        `throughput ratio collector/raw: ${((captureRate / rawRate) * 100).toFixed(0)} % (goal ≥ 80 %)`,
        `collector peak RSS: ${mib(capture.peakRssBytes)} MiB (goal ≤ 150 MiB)`,
        '',
      ].join('\n'),
    );
  } finally {
    agent.close();
    await s3rver.close();
    await rm(s3Dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:collector failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
