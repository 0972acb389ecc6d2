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
      const profiles = files.filter((file) => seriesFileKind(file) === 'profile');
      if (options.pprof !== undefined && profiles.length === 0) {
        throw new Error('--pprof needs heap profiles (.heapprofile files) among the files');
      }
      const report = await diffSeriesFiles(files, {
        top,
        showValues: options.showValues === true,
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
