// One measured run of the analysis benchmark, in its own process so its peak RSS (VmHWM) is its own:
//   tsx analysis-worker.ts heapwatch-diff|heapwatch-parse|memlab-parse <memlab install folder> <files...>
import { readFileSync } from 'node:fs';
import { analyzeSnapshot, ClassTable, diffSnapshotFiles, parseSnapshotFile } from '../analysis';
import { loadMemlabHeapAnalysis } from './memlab-install';

function peakRssBytes(): number {
  const match = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return match ? Number(match[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function run(mode: string, memlabDir: string, files: string[]): Promise<string> {
  if (mode === 'heapwatch-diff') {
    const report = await diffSnapshotFiles(files, { top: 5 });
    return `${report.verdict}: ${report.suspects[0]?.name} @ ${report.suspects[0]?.holder.path}`;
  }
  if (mode === 'heapwatch-parse') {
    const analyzed = analyzeSnapshot(await parseSnapshotFile(files[0]), new ClassTable());
    return `${analyzed.nodeCount} nodes, ${analyzed.edgeCount} edges, heap ${analyzed.totalSize} bytes`;
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
