import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePprof } from '../analysis/fixtures/decode-pprof';
import { LEAKING_FUNCTIONS } from '../analysis/fixtures/leaking-lines';
import {
  type SeriesFiles,
  writeProfileSeries,
  writeSeries,
  writeSnapshotSeries,
} from '../analysis/fixtures/write-series';

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
  /** Snapshots and profiles of one process. */
  let run: SeriesFiles;
  /** Profiles of another process. */
  let other: string[] = [];

  beforeAll(async () => {
    const subdir = (name: string) => {
      mkdirSync(join(dir, name));
      return join(dir, name);
    };
    [series, run, other] = await Promise.all([
      writeSnapshotSeries('memoize', dir, 1000),
      writeSeries('memoize', subdir('both'), { requestsPerPhase: 1000, kinds: 'both' }),
      writeProfileSeries('memoize', subdir('other'), 1000),
    ]);
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

  it('gives the same JSON on one thread and on several, and with a memory budget', async () => {
    // Act
    const results = await Promise.all([
      heapwatch('diff', ...series, '--json', '--threads', '1'),
      heapwatch('diff', ...series, '--json', '--threads', '3', '--memory-budget', '2g'),
    ]);
    // Assess
    const [one, several] = results.map((result) => {
      expect(result.code).toBe(0);
      return { ...JSON.parse(result.stdout), analysisMs: 0 };
    });
    expect(several).toEqual(one);
    expect(one.suspects[0].name).toBe('RenderedPage');
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
      heapwatch('diff', ...series, '--threads', '0'),
      heapwatch('diff', ...series, '--memory-budget', 'lots'),
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
    expect(messages[5]).toMatch(/--threads must be a whole number from 1 to 256, got "0"/);
    expect(messages[6]).toMatch(/--memory-budget takes a size such as 8g or 512m, got "lots"/);
    for (const message of messages) expect(message).not.toMatch(/\n\s+at /);
  });

  describe('with heap profiles', () => {
    it('prints the JSON contract with allocation sites', async () => {
      // Act
      const result = await heapwatch('diff', ...run.profiles, '--json', '--top', '3');
      // Assess
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout);
      expect(report.verdict).toBe('leak');
      expect(report.suspects.length).toBeLessThanOrEqual(3);
      const [top] = report.suspects;
      expect(top).toMatchObject({ retainerPath: [], countDelta: expect.any(Number), sizeDelta: expect.any(Number) });
      expect(top.retainedSize).toBeGreaterThan(0);
      expect(top.allocationSite.url).toMatch(/leaky-service\.js$/);
      expect(top.allocationSite.line).toBe(LEAKING_FUNCTIONS.memoize[top.allocationSite.functionName]);
      expect(top.allocationStack[0]).toMatch(/^\S.* \(.*\)$/);
      expect(report.profiles.profiles.map((profile: { file: string }) => profile.file)).toEqual(run.profiles);
    });

    it('prints Markdown, and writes HTML for snapshots and profiles together', async () => {
      // Prepare
      const html = join(dir, 'mixed.html');
      // Act
      const markdown = await heapwatch('diff', ...run.profiles);
      const written = await heapwatch('diff', ...run.snapshots, ...run.profiles, '--html', html);
      // Assess
      expect(markdown.code).toBe(0);
      expect(markdown.stdout).toMatch(/^# Heap profile diff\n/);
      expect(markdown.stdout).toContain('**Verdict: leak**');
      expect(markdown.stdout).toContain(
        'V8 may inline small functions; the site is the nearest frame the profile kept.',
      );
      expect(written.code).toBe(0);
      expect(written.stdout).toMatch(/^leak: Snapshots and profiles agree: leak\./);
      const page = readFileSync(html, 'utf8');
      expect(page).toContain('<h2>Allocation sites</h2>');
      expect(page).toContain('renderPage.cache.__data__.string.__data__');
      expect(page).toMatch(/Allocated at <code>[^<]*leaky-service\.js:\d+:\d+\)<\/code>/);
    });

    it('writes the growth between the first and the last profile as gzipped pprof', async () => {
      // Prepare
      const pprof = join(dir, 'growth.pb.gz');
      // Act
      const result = await heapwatch('diff', ...run.profiles, '--json', '--pprof', pprof);
      // Assess
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).verdict).toBe('leak');
      expect(result.stderr).toContain(`pprof written to ${pprof}`);
      const decoded = decodePprof(readFileSync(pprof));
      expect(decoded.defaultSampleType).toBe('growth_space');
      const [top] = [...decoded.samples].sort((a, b) => b.values[3] - a.values[3]);
      expect(top.values[3]).toBeGreaterThan(100 * 1024);
      const leaking = top.frames.filter(
        (frame) =>
          /leaky-service\.js$/.test(frame.file) &&
          LEAKING_FUNCTIONS.memoize[frame.name === '(anonymous)' ? '' : frame.name] === frame.line,
      );
      expect(leaking.length).toBeGreaterThan(0);
    });

    it('explains bad input instead of crashing', async () => {
      // Prepare
      const notProfile = join(dir, 'config.heapprofile');
      writeFileSync(notProfile, JSON.stringify({ head: 'not a call tree' }));
      // Act
      const results = await Promise.all([
        heapwatch('diff', notProfile, run.profiles[1]),
        heapwatch('diff', run.profiles[0]),
        heapwatch('diff', ...run.profiles, run.profiles[2]),
        heapwatch('diff', run.profiles[0], other[1]),
        heapwatch('diff', ...series, '--pprof', join(dir, 'none.pb.gz')),
      ]);
      // Assess
      const messages = results.map((result) => {
        expect(result.code).toBe(1);
        return result.stderr;
      });
      expect(messages[0]).toMatch(
        /config\.heapprofile: not a V8 sampling heap profile \(\.heapprofile\): no "head" call tree/,
      );
      expect(messages[1]).toMatch(/got 0 snapshot\(s\) and 1 profile\(s\)/);
      expect(messages[2]).toMatch(/got 0 snapshot\(s\) and 4 profile\(s\)/);
      expect(messages[3]).toMatch(/come from different processes|is older than/);
      expect(messages[4]).toMatch(/--pprof needs heap profiles/);
      for (const message of messages) expect(message).not.toMatch(/\n\s+at /);
    });
  });
});
