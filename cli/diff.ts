import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { diffSnapshotFiles, renderHtml, renderMarkdown } from '../analysis';
import type { ParseProgress } from '../analysis/parse-snapshot';

const PROGRESS_MIN_BYTES = 50 * 1024 * 1024;

interface DiffCommandOptions {
  readonly json?: boolean;
  readonly markdown?: boolean;
  readonly html?: string;
  readonly top: string;
}

function parseTop(value: string): number {
  const top = Number(value);
  if (!Number.isInteger(top) || top < 1 || top > 1000) {
    throw new Error(`--top must be a whole number from 1 to 1000, got "${value}"`);
  }
  return top;
}

/** Progress lines on stderr for big files only, so small diffs stay quiet and stdout stays clean for --json. */
function progressReporter(): (event: ParseProgress) => void {
  let lastPercent = -1;
  let lastFile = '';
  return (event) => {
    if (event.totalBytes < PROGRESS_MIN_BYTES) return;
    const percent = Math.floor((event.bytesRead / event.totalBytes) * 100);
    if (event.file === lastFile && percent < lastPercent + 10 && percent < 100) return;
    lastFile = event.file;
    lastPercent = percent;
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    process.stderr.write(`reading ${event.file}: ${percent}% (${mib(event.bytesRead)}/${mib(event.totalBytes)} MiB)\n`);
  };
}

/** `heapwatch diff <s1> <s2> [s3] [--json | --markdown | --html out.html] [--top N]` */
export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description('diff 2 or 3 heap snapshots of one process (oldest first): what grows and who holds it')
    .argument('<snapshots...>', '2 or 3 .heapsnapshot files of the same process, oldest first')
    .option('--json', 'print the report as JSON (the contract other tools read)')
    .option('--markdown', 'print the report as Markdown (the default)')
    .option('--html <file>', 'write a self-contained HTML report to this file')
    .option('--top <n>', 'how many suspects to list', '10')
    .addHelpText(
      'after',
      '\nExample:\n  heapwatch diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot --html report.html',
    )
    .action(async (snapshots: string[], options: DiffCommandOptions) => {
      if (snapshots.length < 2 || snapshots.length > 3) {
        throw new Error(`diff takes 2 or 3 snapshots of one process, oldest first; got ${snapshots.length}`);
      }
      const formats = [options.json, options.markdown, options.html !== undefined].filter(Boolean).length;
      if (formats > 1) throw new Error('choose one of --json, --markdown or --html <file>');
      const report = await diffSnapshotFiles(snapshots, { top: parseTop(options.top), onProgress: progressReporter() });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else if (options.html !== undefined) {
        await writeFile(options.html, renderHtml(report));
        process.stdout.write(`${report.verdict}: ${report.reasoning}\nreport written to ${options.html}\n`);
      } else {
        process.stdout.write(renderMarkdown(report));
      }
    });
}
