// npm run bench:analysis -- [--sizes 400,1000] [--threads 1,2] [--repeat 1] [--dir /tmp/heapwatch-bench] [--skip-memlab]
//
// Generates (and caches) real heap snapshots of a process with the incident's memoize leak: a series of 3 whose
// last is ~400 MB and a single ~1 GB one. Then measures, each run in its own child process (peak RSS = VmHWM):
//   - heapwatch diff of the series, per thread count  vs  memlab `analyze unbound-object` on the same directory
//   - heapwatch parse + dominators (1 file)           vs  memlab getFullHeapFromFile (parse + dominators, 1 file)
//   - both                                            vs  one tokenizing pass over the same files (the floor)
// and prints wall time, peak RSS and the ratios. With --repeat N every case runs N times, the cases taking turns (so a
// slow minute of a shared machine hits all of them), and each reports its median time and its highest peak RSS.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureMemlab } from './memlab-install';

interface Measured {
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly summary: string;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
};
const sizes = option('sizes', '400,1000')
  .split(',')
  .map((size) => Number(size.trim()));
const root = option('dir', '/tmp/heapwatch-bench');
const skipMemlab = args.includes('--skip-memlab');
const repeat = Number(option('repeat', '1'));
const threadCounts = option('threads', [...new Set([1, availableParallelism()])].join(','))
  .split(',')
  .map((count) => Number(count.trim()));
const HEAP_LIMIT = '--max-old-space-size=16384';
const WORKER = join(__dirname, 'analysis-worker.ts');
const WRITER = join(__dirname, 'analysis-heap-writer.js');
const MEMLAB_DIR = skipMemlab ? '' : ensureMemlab();
const MEMLAB = join(MEMLAB_DIR, 'node_modules', 'memlab', 'bin', 'memlab');
/** Measured here: a snapshot file is ~2.2× the writer's heapUsed. */
const FILE_BYTES_PER_HEAP_BYTE = 2.2;

for (const size of sizes) {
  if (!Number.isFinite(size) || size < 10) throw new Error(`--sizes takes sizes in MB, e.g. 400,1000; got ${size}`);
}
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat takes a count of runs, e.g. 3; got ${repeat}`);
for (const count of threadCounts) {
  if (!Number.isInteger(count) || count < 1) throw new Error(`--threads takes thread counts, e.g. 1,2; got ${count}`);
}

function peakRss(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs a child, polling its VmHWM (for children that cannot report it themselves); resolves with stdout. */
function run(command: string, commandArgs: string[]): Promise<{ stdout: string; ms: number; peakRssBytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const poll = setInterval(() => {
      peak = Math.max(peak, peakRss(child.pid ?? 0));
    }, 100);
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timeout);
      const ms = performance.now() - started;
      if (code === 0) resolve({ stdout, ms, peakRssBytes: peak });
      else reject(new Error(`${commandArgs.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

async function worker(mode: string, files: string[]): Promise<Measured> {
  const { stdout } = await run(process.execPath, [HEAP_LIMIT, '--import', 'tsx', WORKER, mode, MEMLAB_DIR, ...files]);
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(lastLine) as Measured;
}

async function memlabUnboundObject(dir: string): Promise<Measured> {
  const result = await run(process.execPath, [
    HEAP_LIMIT,
    '--expose-gc',
    MEMLAB,
    'analyze',
    'unbound-object',
    '--snapshot-dir',
    dir,
  ]);
  const summary = result.stdout.split('\n').find((line) => /MB|KB|\d/.test(line) && !/parsing|calculating/.test(line));
  return { ms: result.ms, peakRssBytes: result.peakRssBytes, summary: (summary ?? '').trim().slice(0, 120) };
}

/** Writes the snapshots once; a marker file makes later runs reuse them. */
async function snapshots(fileMB: number, count: number): Promise<string[]> {
  const dir = join(root, `${fileMB}mb-x${count}`);
  const files = Array.from({ length: count }, (_, index) => join(dir, `s${index + 1}.heapsnapshot`));
  const marker = join(dir, 'complete.json');
  if (existsSync(marker)) {
    console.log(`reusing ${dir} (${JSON.parse(readFileSync(marker, 'utf8')).note})`);
    return files;
  }
  mkdirSync(dir, { recursive: true });
  const heapMiB = Math.round(fileMB / FILE_BYTES_PER_HEAP_BYTE);
  const limit = `--max-old-space-size=${Math.max(2048, heapMiB * 4)}`;
  console.log(`writing ${count} snapshot(s) of a ${heapMiB} MiB heap into ${dir} ...`);
  const written = await run(process.execPath, [limit, WRITER, String(heapMiB), dir, String(count)]);
  const sizesMB = files.map((file) => (statSync(file).size / 1e6).toFixed(0)).join(', ');
  const note = `files ${sizesMB} MB; writing took ${(written.ms / 1000).toFixed(0)} s, writer peak RSS ${gb(written.peakRssBytes)}`;
  console.log(note);
  writeFileSync(marker, JSON.stringify({ note }));
  return files;
}

function gb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

interface Row {
  readonly name: string;
  readonly heapwatch: Measured;
  readonly memlab?: Measured;
  readonly tokenize: Measured;
}

function printRows(rows: readonly Row[]): void {
  console.log(
    '\n| case | heapwatch time | heapwatch peak RSS | memlab time | memlab peak RSS | speed-up | RSS ratio | ' +
      'tokenizing pass | × the pass |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { name, heapwatch, memlab, tokenize } of rows) {
    const ratio = memlab ? `${(memlab.ms / heapwatch.ms).toFixed(1)}×` : '—';
    const rss = memlab ? `${(heapwatch.peakRssBytes / memlab.peakRssBytes).toFixed(2)}` : '—';
    console.log(
      `| ${name} | ${seconds(heapwatch.ms)} | ${gb(heapwatch.peakRssBytes)} | ${memlab ? seconds(memlab.ms) : '—'} | ` +
        `${memlab ? gb(memlab.peakRssBytes) : '—'} | ${ratio} | ${rss} | ${seconds(tokenize.ms)} | ` +
        `${(heapwatch.ms / tokenize.ms).toFixed(1)}× |`,
    );
  }
}

/** Runs every case `repeat` times, taking turns; per case the median time and the highest peak RSS. */
async function measureInTurns(cases: ReadonlyArray<() => Promise<Measured>>): Promise<Measured[]> {
  const runs: Measured[][] = cases.map(() => []);
  for (let round = 0; round < repeat; round++) {
    for (const [index, measure] of cases.entries()) runs[index].push(await measure());
  }
  return runs.map((measured) => {
    const byTime = [...measured].sort((a, b) => a.ms - b.ms);
    const median = byTime[Math.floor((byTime.length - 1) / 2)];
    return { ...median, peakRssBytes: Math.max(...measured.map((run) => run.peakRssBytes)) };
  });
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const size of sizes) {
    const series = size >= 1000 ? 1 : 3;
    const files = await snapshots(size, series);
    const label = `${(statSync(files[files.length - 1]).size / 1e6).toFixed(0)} MB`;
    if (series === 3) {
      const memlabCase = skipMemlab ? [] : [() => memlabUnboundObject(dirname(files[0]))];
      const [tokenize, ...others] = await measureInTurns([
        () => worker('tokenize', files),
        ...memlabCase,
        ...threadCounts.map((threads) => () => worker(`heapwatch-diff-${threads}`, files)),
      ]);
      const memlab = skipMemlab ? undefined : others.shift();
      const heapwatch = others;
      console.log(`tokenizing pass ×3: ${seconds(tokenize.ms)}, ${gb(tokenize.peakRssBytes)} — ${tokenize.summary}`);
      if (memlab) console.log(`memlab unbound-object ×3: ${seconds(memlab.ms)}, ${gb(memlab.peakRssBytes)}`);
      for (const [index, threads] of threadCounts.entries()) {
        const measured = heapwatch[index];
        console.log(
          `heapwatch diff ×3, ${threads} thread(s): ${seconds(measured.ms)}, ${gb(measured.peakRssBytes)} — ` +
            measured.summary,
        );
        const name = `diff of 3 snapshots (last ${label}), ${threads} thread${threads === 1 ? '' : 's'}`;
        rows.push({ name, heapwatch: measured, memlab, tokenize });
      }
    }
    const last = files[files.length - 1];
    const [tokenize, heapwatch, memlab] = await measureInTurns([
      () => worker('tokenize', [last]),
      () => worker('heapwatch-parse', [last]),
      ...(skipMemlab ? [] : [() => worker('memlab-parse', [last])]),
    ]);
    console.log(`heapwatch parse+dominators ${label}: ${seconds(heapwatch.ms)}, ${gb(heapwatch.peakRssBytes)}`);
    if (memlab) console.log(`memlab getFullHeapFromFile ${label}: ${seconds(memlab.ms)}, ${gb(memlab.peakRssBytes)}`);
    rows.push({ name: `parse + dominators, 1 snapshot of ${label}`, heapwatch, memlab, tokenize });
  }
  printRows(rows);
  const out = join(__dirname, 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'analysis.json'), JSON.stringify(rows, null, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
