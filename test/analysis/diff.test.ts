import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DiffReport, diffSnapshotFiles } from '../../analysis';
import { snapshotThreadsAvailable } from '../../analysis/analysis-threads';
import { type Scenario, writeSnapshotSeries } from './fixtures/write-series';

/** Each series: a real child process with a known leak writes 3 snapshots (~5–8 MB each), work in between. */
describe('diffSnapshotFiles on real leaks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-diff-'));
  const series = new Map<Scenario, string[]>();

  beforeAll(async () => {
    const scenarios: Scenario[] = [
      'memoize',
      'global-array',
      'listeners',
      'timers',
      'bounded-cache',
      'number-array',
      'int-map',
      'large-strings',
      'promise-race',
      'emails',
    ];
    for (const batch of [scenarios.slice(0, 4), scenarios.slice(4, 7), scenarios.slice(7)]) {
      const written = await Promise.all(batch.map((scenario) => writeSnapshotSeries(scenario, dir)));
      for (const [index, scenario] of batch.entries()) series.set(scenario, written[index]);
    }
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const diff = (
    scenario: Scenario,
    pick: (paths: string[]) => string[] = (paths) => paths,
    showValues = false,
  ): Promise<DiffReport> => diffSnapshotFiles(pick(series.get(scenario)!), { top: 5, showValues });

  it('names the lodash memoize cache of the incident', async () => {
    // Act
    const report = await diff('memoize');
    // Assess
    expect(report.verdict).toBe('leak');
    const [top] = report.suspects;
    expect(top.name).toBe('RenderedPage');
    expect(top.retainerPath.join(' ')).toContain('cache');
    expect(top.holder.path).toBe('renderPage.cache.__data__.string.__data__');
    // The cache's key is a heap string: its length only, unless asked for.
    expect(top.path).toMatch(/^renderPage\.cache\.__data__\.string\.__data__\[<\d+ chars>\]$/);
    expect(top.counts).toEqual([600, 2100, 3600]);
    expect(top.countDelta).toBe(3000);
    expect(top.survivors).toBe(3000);
    expect(top.retainedDelta).toBeGreaterThan(3000 * 300);
    expect(top.growsInEveryInterval).toBe(true);
    expect(report.reasoning).toContain('RenderedPage');
    const holder = report.holderGrowth.find((growth) => growth.id === top.holder.id);
    expect(holder?.retainedSizes).toHaveLength(3);
    expect(holder!.retainedSizes[2]).toBeGreaterThan(holder!.retainedSizes[1]);
    expect(holder!.retainedSizes[1]).toBeGreaterThan(holder!.retainedSizes[0]);
  });

  it('names a global array of class instances', async () => {
    // Act
    const report = await diff('global-array');
    // Assess
    expect(report.verdict).toBe('leak');
    expect(report.suspects[0].name).toBe('Session');
    expect(report.suspects[0].holder.path).toBe('globalThis.activeSessions');
    expect(report.suspects[0].countDelta).toBe(3000);
  });

  it('names listeners added per request to a long-lived EventEmitter', async () => {
    // Act
    const report = await diff('listeners');
    // Assess
    expect(report.verdict).toBe('leak');
    expect(report.suspects[0].name).toBe('(closure) onConfigChanged');
    expect(report.suspects[0].holder.path).toBe('configBus._events[<14 chars>]');
  });

  it('names timers that are never cleared', async () => {
    // Act
    const report = await diff('timers');
    // Assess
    expect(report.verdict).toBe('leak');
    expect(report.suspects[0].name).toBe('Timeout');
    expect(report.suspects[0].holder.path).toContain('timerListMap');
    expect(report.suspects[0].countDelta).toBe(3000);
  });

  it('does not call a bounded LRU cache that churns a leak', async () => {
    // Act
    const report = await diff('bounded-cache');
    // Assess
    expect(report.verdict).toBe('no-leak');
    expect(report.suspects.filter((suspect) => suspect.name === 'CachedPage' && suspect.countDelta > 0)).toEqual([]);
    expect(report.reasoning).toMatch(/No group/);
  });

  it.each([
    ['number-array', 'latencySamples'],
    ['int-map', 'hitsByRequest'],
  ] as const)(
    'never says no-leak when the heap grows without objects (%s): inconclusive, names the holder',
    async (scenario, holder) => {
      // Act
      const report = await diff(scenario);
      // Assess
      expect(report.verdict).toBe('inconclusive');
      expect(report.reasoning).toMatch(/^The heap grew .* no group of objects grew with it/);
      expect(report.reasoning).toContain('Where: numbers stored without an object each');
      expect(report.reasoning).toContain(`is held by ${holder}: look there first`);
      const [first, , last] = report.snapshots;
      expect(last.breakdown.numbers - first.breakdown.numbers).toBeGreaterThan(256 * 1024);
    },
  );

  it('names big strings kept in an array (large-object space)', async () => {
    // Act
    const report = await diff('large-strings');
    // Assess
    expect(report.verdict).toBe('leak');
    expect(report.suspects[0]).toMatchObject({ name: '(string)', holder: { path: 'retainedBodies' } });
    expect(report.suspects[0].retainedDelta).toBeGreaterThan(150 * 200_000);
  });

  it('names a promise that never settles, raced by every request', async () => {
    // Act
    const report = await diff('promise-race');
    // Assess
    expect(report.verdict).toBe('leak');
    expect(report.suspects.map((suspect) => suspect.holder.path).join(' ')).toContain('shutdownSignal');
  });

  it('keeps heap strings out of the report unless asked: a cache keyed by e-mail addresses', async () => {
    // Act
    const redacted = await diff('emails');
    const shown = await diff('emails', undefined, true);
    // Assess
    expect(redacted.verdict).toBe('leak');
    expect(redacted.suspects[0]).toMatchObject({ name: 'Session', holder: { path: 'sessionsByEmail' } });
    expect(redacted.suspects[0].path).toMatch(/^sessionsByEmail\[<\d+ chars>\]$/);
    expect(JSON.stringify(redacted)).not.toContain('@example.com');
    expect(shown.suspects[0].path).toMatch(/^sessionsByEmail\["user\d+@example\.com"\]$/);
  });

  it('reports growth but no verdict from 2 snapshots', async () => {
    // Act
    const report = await diff('memoize', ([first, , last]) => [first, last]);
    // Assess
    expect(report.verdict).toBe('inconclusive');
    expect(report.reasoning).toContain('third snapshot');
    expect(report.suspects[0].name).toBe('RenderedPage');
    expect(report.suspects[0].counts).toEqual([600, 3600]);
    expect(report.classGrowth.find((growth) => growth.name === 'RenderedPage')?.countDelta).toBe(3000);
  });

  it('refuses snapshots of different processes, snapshots given newest first, and thread options that cannot work', async () => {
    // Prepare
    const [memoizeFirst] = series.get('memoize')!;
    const [, timersSecond] = series.get('timers')!;
    const [first, second] = series.get('global-array')!;
    // Act / Assess
    await expect(diffSnapshotFiles([memoizeFirst, timersSecond])).rejects.toThrow(/come from different processes/);
    await expect(diffSnapshotFiles([second, first])).rejects.toThrow(/is older than/);
    await expect(diffSnapshotFiles([first])).rejects.toThrow(/2 or 3 snapshots/);
    await expect(diffSnapshotFiles([first, second], { threads: 0 })).rejects.toThrow(/threads must be a whole number/);
    await expect(diffSnapshotFiles([first, second], { memoryBudgetBytes: Number.NaN })).rejects.toThrow(
      /memoryBudgetBytes must be a number of bytes above 0, got NaN/,
    );
  });

  it('gives the same report on one thread as on several, and with a memory budget for one snapshot at a time', async () => {
    // Prepare
    const paths = series.get('memoize')!;
    const comparable = (report: DiffReport) => JSON.stringify({ ...report, analysisMs: 0 });
    // Act
    const oneThread = await diffSnapshotFiles(paths, { top: 5, threads: 1 });
    const threeThreads = await diffSnapshotFiles(paths, { top: 5, threads: 3 });
    const smallBudget = await diffSnapshotFiles(paths, { top: 5, threads: 3, memoryBudgetBytes: 1 });
    // Assess
    expect(snapshotThreadsAvailable()).toBe(true);
    expect(oneThread.suspects[0].name).toBe('RenderedPage');
    expect(comparable(threeThreads)).toBe(comparable(oneThread));
    expect(comparable(smallBudget)).toBe(comparable(oneThread));
  });

  it('names the file when a snapshot analysed in another thread is truncated', async () => {
    // Prepare
    const [first, second, last] = series.get('timers')!;
    const truncated = join(dir, 'timers-truncated.heapsnapshot');
    copyFileSync(first, truncated);
    truncateSync(truncated, Math.floor(statSync(first).size / 2));
    // Act / Assess
    await expect(diffSnapshotFiles([truncated, second, last], { threads: 3 })).rejects.toThrow(
      `${truncated}: the heap snapshot is truncated`,
    );
  });

  it('reports progress while reading', async () => {
    // Prepare
    const events: number[] = [];
    // Act
    await diffSnapshotFiles(series.get('bounded-cache')!.slice(1), {
      onProgress: (event) => events.push(event.bytesRead / event.totalBytes),
    });
    // Assess
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[events.length - 1]).toBe(1);
  });
});
