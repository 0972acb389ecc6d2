/**
 * npm run bench:collector [-- --size 256M] — streams a 2 GiB synthetic heap snapshot from a loopback agent through the
 * collector's capture path (signed POST → one PutObject with the agent's sha256 as ChecksumSHA256) into the loopback
 * S3 server over HTTPS as S3 is, in its own process (test/support/loopback-s3: length, CRC32 and SHA-256 checked as S3
 * does, the bytes then dropped, multipart completion without copying). The baseline, in the same run: a bare
 * streaming PutObject of the same bytes with the same checksum into the same server (no token, no collector). For
 * context: a raw loopback copy of the same bytes to a file (what `curl -o` does), and the multipart path that
 * captures over 5 GiB take, bare and through the collector. Every path runs in a child process whose peak RSS (VmHWM)
 * is read at the end. With 2 cores, the parties that are other machines in production (the agent, S3) are pinned to
 * core 0 and the process measured (the collector or the copy) to core 1, when taskset exists. BENCH_SINK_KEEP=1 makes
 * the server write the bodies to files, on core 0 too.
 *
 * The "agent" here is a small protocol-v2 server (verifyToken + headers) streaming a file generated in /tmp, because a
 * real 2 GiB snapshot needs a ~1 GB heap and minutes of V8 time; the collector cannot tell the difference.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { generateSigningKeyPair, NonceCache, parsePublicKey, verifyToken } from '@heapwatch/agent/protocol';
import { build } from 'esbuild';
import { LoopbackS3Server } from '../test/support/loopback-s3/loopback-s3-server';
import { forkChild } from './agent/measure';
import { pinProcess, planCores } from './agent/pinning';
import { parseSize, sizeArgument } from './collector/size';
import { type ChildResult, BENCH_TASK_ID as TASK_ID } from './collector-child';

const SIZE_BYTES = parseSize(sizeArgument() ?? process.env.BENCH_SIZE_BYTES ?? '2G');
const WORK_DIR = join(tmpdir(), 'heapwatch-bench-collector');
const BUCKET = 'snapshots';
const TLS_DIR = join(__dirname, '..', 'test', 'support', 'tls');
const CORES = planCores();
/** The file agent trusts the public key; the capture child signs with the private key (BENCH_PRIVATE_KEY). */
const KEYS = generateSigningKeyPair();

/**
 * The child is bundled with esbuild like the Lambda is (CJS, minified) and run by plain `node`, so its RSS is the
 * capture's, not tsx's (tsx alone adds ~37 MB).
 */
async function bundleChild(): Promise<string> {
  const outfile = join(__dirname, 'out', 'collector-child.js');
  await build({
    entryPoints: [join(__dirname, 'collector-child.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
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

/** Protocol v2's POST /heap/snapshot answered from a file; GET /raw serves the same bytes for the baseline. */
async function startFileAgent(file: { path: string; sha256: string }): Promise<{ url: string; close: () => void }> {
  const size = (await stat(file.path)).size;
  const nonces = new NonceCache();
  const publicKeys = [parsePublicKey(KEYS.publicKey)];
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/heap/snapshot') {
      const verdict = verifyToken(req.headers.authorization, { publicKeys, taskId: TASK_ID, nonces });
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

type ChildMode = 'capture' | 'capture-parts' | 'raw' | 'raw-put' | 'raw-upload';

async function runChild(script: string, mode: ChildMode, env: Record<string, string>): Promise<ChildResult> {
  const flags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [];
  const child = spawn(process.execPath, [...flags, script], {
    env: { ...process.env, ...env, BENCH_CHILD: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (CORES.pinned && child.pid) pinProcess(child.pid, String(CORES.loadCore));
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the ${mode} child failed with exit code ${code}`);
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as ChildResult;
}

/** The S3-compatible server in its own process (S3 is its own system), printing its port on its first line. */
async function startS3Process(directory: string) {
  const flags = process.env.BENCH_S3_NODE_FLAGS ? process.env.BENCH_S3_NODE_FLAGS.split(' ') : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', __filename], {
    env: { ...process.env, BENCH_ROLE: 's3', BENCH_S3_DIR: directory },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (CORES.pinned && child.pid) pinProcess(child.pid, String(CORES.serverCore));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await once(child, 'exit');
    }
  };
  /** utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms. */
  const cpuSeconds = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  try {
    const [portLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    return { endpoint: `https://127.0.0.1:${Number(portLine)}`, stop, cpuSeconds };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function main(): Promise<void> {
  if (CORES.pinned) pinProcess(process.pid, String(CORES.serverCore));
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const file = await syntheticSnapshot();
  const sinkDir = await mkdtemp(join(WORK_DIR, 'sink-'));
  let sink: Awaited<ReturnType<typeof startS3Process>> | undefined;
  let agent: Awaited<ReturnType<typeof startFileAgent>> | undefined;
  try {
    sink = await startS3Process(sinkDir);
    const server = sink;
    agent = await startFileAgent(file);
    const script = await bundleChild();
    const agentUrl = agent.url;
    /** The child's result plus the CPU the agent (this process) and the S3 server spent meanwhile: 2 cores are shared. */
    const measure = async (mode: ChildMode) => {
      const agentBefore = process.cpuUsage();
      const serverBefore = server.cpuSeconds();
      const env: Record<string, string> =
        mode === 'raw'
          ? { BENCH_OUT_DIR: WORK_DIR }
          : { BENCH_S3_ENDPOINT: server.endpoint, BENCH_S3_CA: join(TLS_DIR, 'loopback.crt') };
      const result = await runChild(script, mode, {
        BENCH_AGENT_URL: agentUrl,
        BENCH_PRIVATE_KEY: KEYS.privateKey,
        BENCH_SHA256: file.sha256,
        ...env,
      });
      const agentUsage = process.cpuUsage(agentBefore);
      const agentCpu = (agentUsage.user + agentUsage.system) / 1e6;
      const serverCpu = mode === 'raw' ? 0 : server.cpuSeconds() - serverBefore;
      return { ...result, agentCpu, serverCpu };
    };
    const raw = await measure('raw');
    const rawPut = await measure('raw-put');
    const capture = await measure('capture');
    const rawUpload = await measure('raw-upload');
    const captureParts = await measure('capture-parts');
    const rate = (result: ChildResult) => result.bytes / result.seconds;
    const cpu = (seconds: number) => seconds.toFixed(1).padStart(5);
    const line = (label: string, result: Awaited<ReturnType<typeof measure>>) =>
      `${label.padEnd(60)} ${result.seconds.toFixed(1).padStart(6)} s ${mib(rate(result)).padStart(7)} MiB/s   peak RSS ${mib(result.peakRssBytes).padStart(6)} MiB   CPU s: child ${cpu(result.cpuSeconds)}, agent ${cpu(result.agentCpu)}, S3 server ${cpu(result.serverCpu)}`;
    const percent = (value: number) => `${(value * 100).toFixed(0)} %`;
    process.stdout.write(
      [
        `synthetic snapshot: ${file.path} (${mib(capture.bytes)} MiB), served by a protocol-v2 loopback server`,
        CORES.pinned
          ? `agent and S3 server pinned to core ${CORES.serverCore}, the measured process to core ${CORES.loadCore}; the S3 server speaks HTTPS, checks SHA-256 and CRC32 and ${process.env.BENCH_SINK_KEEP === '1' ? 'writes bodies to files' : 'drops the bytes'}`
          : `NOT pinned: ${CORES.reason}`,
        line('bare streaming PutObject, same bytes and ChecksumSHA256', rawPut),
        line('collector capture: token, one PutObject, S3 checks sha256', capture),
        `collector / bare PutObject: ${percent(rate(capture) / rate(rawPut))} (goal ≥ 90 %); collector peak RSS ${mib(capture.peakRssBytes)} MiB (goal ≤ 150 MiB, aim 110)`,
        'for context:',
        line('raw loopback copy, HTTP → file (curl -o)', raw),
        line('bare multipart Upload (the path beyond 5 GiB)', rawUpload),
        line('collector capture, multipart (beyond 5 GiB): sha256 here', captureParts),
        `collector multipart / bare multipart Upload: ${percent(rate(captureParts) / rate(rawUpload))}; collector / raw copy: ${percent(rate(capture) / rate(raw))}`,
        '',
      ].join('\n'),
    );
  } finally {
    agent?.close();
    await sink?.stop();
    await rm(sinkDir, { recursive: true, force: true });
  }
}

/** Role of a child: the S3-compatible server, printing its port. */
async function serveS3(): Promise<void> {
  const directory = process.env.BENCH_S3_DIR ?? WORK_DIR;
  const tls = { key: readFileSync(join(TLS_DIR, 'loopback.key')), cert: readFileSync(join(TLS_DIR, 'loopback.crt')) };
  const keepBytes = process.env.BENCH_SINK_KEEP === '1';
  const { port } = await new LoopbackS3Server({ directory, bucket: BUCKET, keepBytes, tls }).listen();
  process.stdout.write(`${port}\n`);
}

/**
 * `--heaps 200,1024`: whole captures of real agents (bench/agent/heap-child.ts, a heap of that many MiB of small
 * objects) through the collector into the S3 server: V8's write and the agent's hash (request → first byte) against
 * the transfer (first byte → stored).
 */
async function wholeCaptures(heapsMiB: readonly number[]): Promise<void> {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  const sinkDir = await mkdtemp(join(WORK_DIR, 'sink-'));
  const snapshotDir = await mkdtemp(join(WORK_DIR, 'agent-'));
  const sink = await startS3Process(sinkDir);
  try {
    const script = await bundleChild();
    const rows: string[] = [];
    for (const heapMiB of heapsMiB) {
      const heap = await forkChild<{ adminUrl: string; heapUsed: number }>(
        'heap-child.ts',
        { BENCH_HEAP_MB: String(heapMiB), BENCH_PUBLIC_KEY: KEYS.publicKey, BENCH_SNAPSHOT_DIR: snapshotDir },
        ['--expose-gc', '--max-old-space-size=16384'],
      );
      try {
        const result = await runChild(script, 'capture', {
          BENCH_AGENT_URL: heap.ready.adminUrl,
          BENCH_TASK_ID: 'bench-heap',
          BENCH_PRIVATE_KEY: KEYS.privateKey,
          BENCH_S3_ENDPOINT: sink.endpoint,
          BENCH_S3_CA: join(TLS_DIR, 'loopback.crt'),
        });
        const write = result.firstByteSeconds ?? 0;
        const transfer = result.seconds - write;
        const share = (part: number) => `${((part / result.seconds) * 100).toFixed(0)} %`;
        rows.push(
          `| ${mib(heap.ready.heapUsed)} MiB | ${mib(result.bytes)} MiB | ${write.toFixed(1)} s (${share(write)}) | ${transfer.toFixed(1)} s (${share(transfer)}, ${(result.bytes / 1024 ** 2 / transfer).toFixed(0)} MiB/s) | ${result.seconds.toFixed(1)} s |`,
        );
      } finally {
        await heap.stop();
      }
    }
    process.stdout.write(
      [
        'whole captures through the collector into the S3 server (HTTPS, one verified PutObject):',
        '| heap used | snapshot | V8 write + hash (request → first byte) | transfer (first byte → stored) | whole capture |',
        '|---|---|---|---|---|',
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await sink.stop();
    await rm(sinkDir, { recursive: true, force: true });
    await rm(snapshotDir, { recursive: true, force: true });
  }
}

function heapsArgument(argv: readonly string[] = process.argv): number[] | undefined {
  const index = argv.indexOf('--heaps');
  if (index < 0) return undefined;
  const sizes = (argv[index + 1] ?? '').split(',').map(Number);
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1))
    throw new Error('--heaps takes heap sizes in MiB, e.g. --heaps 200,1024');
  return sizes;
}

const role = process.env.BENCH_ROLE;
const heaps = heapsArgument();
(role !== undefined ? serveS3() : heaps !== undefined ? wholeCaptures(heaps) : main()).catch((error: unknown) => {
  process.stderr.write(`bench:collector failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
