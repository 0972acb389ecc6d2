import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSnapshotSeries } from '../analysis/fixtures/write-series';

const CLI = join(__dirname, '..', '..', 'bin', 'heapwatch.js');

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function heapwatch(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('heapwatch diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-cli-diff-'));
  let series: string[] = [];

  beforeAll(async () => {
    series = await writeSnapshotSeries('memoize', dir, 1000);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the JSON contract', async () => {
    // Act
    const result = await heapwatch('diff', ...series, '--json', '--top', '3');
    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.verdict).toBe('leak');
    expect(report.suspects.length).toBeLessThanOrEqual(3);
    expect(report.suspects[0]).toMatchObject({ name: 'RenderedPage', countDelta: 2000 });
    expect(report.suspects[0].retainerPath.join(' ')).toContain('cache');
    expect(typeof report.suspects[0].sizeDelta).toBe('number');
    expect(typeof report.suspects[0].retainedSize).toBe('number');
    expect(result.stderr).toBe('');
  });

  it('prints Markdown by default and writes HTML on request', async () => {
    // Prepare
    const html = join(dir, 'report.html');
    // Act
    const markdown = await heapwatch('diff', ...series);
    const written = await heapwatch('diff', series[0], series[2], '--html', html);
    // Assess
    expect(markdown.stdout).toContain('**Verdict: leak**');
    expect(markdown.stdout).toContain('renderPage.cache.__data__.string.__data__');
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`report written to ${html}`);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg[^>]*>.*RenderedPage/s);
  });

  it('explains bad input instead of crashing', async () => {
    // Prepare
    const notSnapshot = join(dir, 'notes.txt');
    writeFileSync(notSnapshot, 'not json at all');
    const truncated = join(dir, 'truncated.heapsnapshot');
    copyFileSync(series[1], truncated);
    truncateSync(truncated, 200_000);
    const otherProcess = join(dir, 'other.heapsnapshot');
    execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(otherProcess)})`]);
    // Act
    const results = await Promise.all([
      heapwatch('diff', notSnapshot, series[1]),
      heapwatch('diff', series[0], truncated),
      heapwatch('diff', series[0], otherProcess),
      heapwatch('diff', series[0]),
      heapwatch('diff', ...series, '--top', 'many'),
    ]);
    // Assess
    const messages = results.map((result) => {
      expect(result.code).toBe(1);
      return result.stderr;
    });
    expect(messages[0]).toMatch(/notes\.txt: not a valid V8 heap snapshot/);
    expect(messages[1]).toMatch(/truncated\.heapsnapshot: the heap snapshot is truncated/);
    expect(messages[2]).toMatch(
      /other\.heapsnapshot (is older than|come from different processes)|different processes/,
    );
    expect(messages[3]).toMatch(/2 or 3 snapshots/);
    expect(messages[4]).toMatch(/--top must be a whole number/);
    for (const message of messages) expect(message).not.toMatch(/\n\s+at /);
  });
});
