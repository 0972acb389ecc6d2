import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  diffSeriesFiles,
  encodeGrowthPprof,
  readProfileSeries,
  renderHtml,
  renderMarkdown,
  seriesFileKind,
} from '../analysis';
import type { ParseProgress } from '../analysis/parse-snapshot';

const PROGRESS_MIN_BYTES = 50 * 1024 * 1024;

interface DiffCommandOptions {
  readonly json?: boolean;
  readonly markdown?: boolean;
  readonly html?: string;
  readonly pprof?: string;
  readonly top: string;
  readonly showValues?: boolean;
  readonly threads?: string;
  readonly memoryBudget?: string;
}

function parseTop(value: string): number {
  const top = Number(value);
  if (!Number.isInteger(top) || top < 1 || top > 1000) {
    throw new Error(`--top must be a whole number from 1 to 1000, got "${value}"`);
  }
  return top;
}

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new Error(`--threads must be a whole number from 1 to 256, got "${value}"`);
  }
  return threads;
}

const BYTES_PER_UNIT: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `8g`, `512M`, `1.5GiB`, `2000000000`: binary units, as `--max-old-space-size` and container limits count. */
export function parseMemoryBudget(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * BYTES_PER_UNIT[match[2].toLowerCase()] : Number.NaN;
  if (!Number.isFinite(bytes) || bytes < 1) {
    throw new Error(`--memory-budget takes a size such as 8g or 512m, got "${value}"`);
  }
  return Math.floor(bytes);
}

/** Progress lines on stderr for big files only, so small diffs stay quiet and stdout stays clean for --json. */
function progressReporter(): (event: ParseProgress) => void {
  // Files read in parallel report in turns, so each keeps its own last step.
  const lastPercent = new Map<string, number>();
  return (event) => {
    if (event.totalBytes < PROGRESS_MIN_BYTES) return;
    const percent = Math.floor((event.bytesRead / event.totalBytes) * 100);
    if (percent < (lastPercent.get(event.file) ?? -10) + 10 && percent < 100) return;
    lastPercent.set(event.file, percent);
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    process.stderr.write(`reading ${event.file}: ${percent}% (${mib(event.bytesRead)}/${mib(event.totalBytes)} MiB)\n`);
  };
}

/** The last profile and its growth since the first, as gzipped pprof (go tool pprof, Grafana Pyroscope). */
async function writePprof(file: string, profilePaths: string[], samplingIntervalBytes: number): Promise<void> {
  const encoded = encodeGrowthPprof(await readProfileSeries(profilePaths), samplingIntervalBytes);
  await writeFile(file, encoded);
  process.stderr.write(`pprof written to ${file} (sample types samples, space, growth_samples, growth_space)\n`);
}

/** `heapwatch diff <files...> [--json | --markdown | --html out.html] [--pprof out.pb.gz] [--top N]` */
export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description(
      'diff 2 or 3 heap snapshots and/or 2 or 3 heap profiles of one process (oldest first): what grows, ' +
        'who holds it and where it is allocated',
    )
    .argument('<files...>', '2 or 3 .heapsnapshot and/or 2 or 3 .heapprofile files of the same process, oldest first')
    .option('--json', 'print the report as JSON (the contract other tools read)')
    .option('--markdown', 'print the report as Markdown (the default)')
    .option('--html <file>', 'write a self-contained HTML report to this file')
    .option('--pprof <file>', 'write the last heap profile and its growth since the first as gzipped pprof')
    .option('--top <n>', 'how many suspects to list', '10')
    .option('--threads <n>', 'snapshots analysed at once, at most (default: the number of CPU cores)')
    .option(
      '--memory-budget <size>',
      'memory the snapshots analysed at once may take together, e.g. 8g; when it holds only one, they are ' +
        'analysed one after another (default: 3/4 of the memory this process may use)',
    )
    .option(
      '--show-values',
      'show heap strings (string contents, object keys) in paths; they are user data, so they are left out by default',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  heapwatch diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot --html report.html\n' +
        '  heapwatch diff p1.heapprofile p2.heapprofile p3.heapprofile --pprof growth.pb.gz\n' +
        '  heapwatch diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot p1.heapprofile p2.heapprofile p3.heapprofile',
    )
    .action(async (files: string[], options: DiffCommandOptions) => {
      const formats = [options.json, options.markdown, options.html !== undefined].filter(Boolean).length;
      if (formats > 1) throw new Error('choose one of --json, --markdown or --html <file>');
      const top = parseTop(options.top);
      const threads = parseThreads(options.threads);
      const memoryBudgetBytes = parseMemoryBudget(options.memoryBudget);
      const profiles = files.filter((file) => seriesFileKind(file) === 'profile');
      if (options.pprof !== undefined && profiles.length === 0) {
        throw new Error('--pprof needs heap profiles (.heapprofile files) among the files');
      }
      const report = await diffSeriesFiles(files, {
        top,
        showValues: options.showValues === true,
        threads,
        memoryBudgetBytes,
        onProgress: progressReporter(),
      });
      if (options.pprof !== undefined && report.profiles) {
        await writePprof(options.pprof, profiles, report.profiles.samplingIntervalBytes);
      }
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
