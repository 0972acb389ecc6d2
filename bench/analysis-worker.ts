// One measured run of the analysis benchmark, in its own process so its peak RSS (VmHWM) is its own:
//   tsx analysis-worker.ts heapwatch-diff-<threads>|heapwatch-parse|memlab-parse|tokenize <memlab folder> <files...>
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { analyzeSnapshot, ClassTable, diffSnapshotFiles, parseSnapshotFile } from '../analysis';
import { tokenizeFiles } from './json-token-pass';
import { loadMemlabHeapAnalysis } from './memlab-install';

function peakRssBytes(): number {
  const match = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return match ? Number(match[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function run(mode: string, memlabDir: string, files: string[]): Promise<string> {
  if (mode.startsWith('heapwatch-diff')) {
    // heapwatch-diff-<threads>
    const threads = Number(mode.split('-')[2]);
    const report = await diffSnapshotFiles(files, { top: 5, threads });
    return `${report.verdict}: ${report.suspects[0]?.name} @ ${report.suspects[0]?.holder.path}`;
  }
  if (mode === 'heapwatch-parse') {
    const analyzed = analyzeSnapshot(
      await parseSnapshotFile(files[0], { threads: availableParallelism() }),
      new ClassTable(),
    );
    return `${analyzed.nodeCount} nodes, ${analyzed.edgeCount} edges, heap ${analyzed.totalSize} bytes`;
  }
  if (mode === 'tokenize') {
    const count = await tokenizeFiles(files);
    return `${(count.bytes / 1e6).toFixed(0)} MB: ${count.numbers} numbers, ${count.strings} strings`;
  }
  if (mode === 'memlab-parse') {
    const { getFullHeapFromFile } = loadMemlabHeapAnalysis(memlabDir);
    const heap = await getFullHeapFromFile(files[0]);
    return `${heap.nodes.length} nodes`;
  }
  throw new Error(`unknown mode ${mode}`);
}

const [mode, memlabDir, ...files] = process.argv.slice(2);
const started = performance.now();
run(mode, memlabDir, files).then(
  (summary) => {
    const ms = performance.now() - started;
    process.stdout.write(`${JSON.stringify({ ms, peakRssBytes: peakRssBytes(), summary })}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
