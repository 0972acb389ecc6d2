import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diffSeriesFiles,
  isSiteSuspect,
  renderHtml,
  renderMarkdown,
  type SeriesReport,
  type SiteSuspect,
  type Suspect,
} from '../../analysis';
import { LEAKING_FUNCTIONS } from './fixtures/leaking-lines';
import { type SeriesFiles, writeSeries } from './fixtures/write-series';

const snapshotSuspects = (report: SeriesReport) => report.suspects.filter((s): s is Suspect => !isSiteSuspect(s));
const siteSuspects = (report: SeriesReport) => report.suspects.filter(isSiteSuspect);

/** One process per scenario writes snapshots and profiles at the same 3 moments, as the collector captures them. */
describe('diffSeriesFiles on snapshots and profiles of one run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-series-diff-'));
  let memoize: SeriesFiles;
  let timers: SeriesFiles;
  let listeners: SeriesFiles;

  beforeAll(async () => {
    [memoize, timers, listeners] = await Promise.all(
      (['memoize', 'timers', 'listeners'] as const).map((scenario) => writeSeries(scenario, dir, { kinds: 'both' })),
    );
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives what grows, who holds it and where it is allocated in one report', async () => {
    // Act
    const report = await diffSeriesFiles([...memoize.snapshots, ...memoize.profiles], { top: 5 });
    // Assess
    expect(report.verdict).toBe('leak');
    expect(report.verdicts).toEqual({
      snapshots: { verdict: 'leak', reasoning: expect.stringContaining('RenderedPage') },
      profiles: { verdict: 'leak', reasoning: expect.any(String) },
    });
    const [top] = snapshotSuspects(report);
    expect(top).toBe(report.suspects[0]);
    expect(top.name).toBe('RenderedPage');
    expect(top.holder.path).toBe('renderPage.cache.__data__.string.__data__');
    expect(top.retainerPath.join(' ')).toContain('cache');
    // Linked because the profiles saw the constructor called at the site (V8 may have inlined it into its caller).
    expect(top.allocationEvidence).toBe('the heap profiles show RenderedPage called at this site (new RenderedPage)');
    const site = top.allocationSite!;
    expect(LEAKING_FUNCTIONS.memoize[site.functionName]).toBe(site.line);
    expect(top.allocationStack?.some((frame) => frame.includes('leaky-service.js'))).toBe(true);
    expect(report.snapshots).toHaveLength(3);
    expect(report.profiles?.profiles).toHaveLength(3);
    expect(report.reasoning).toMatch(/^Snapshots and profiles agree: leak\. Snapshots: .* Profiles: /);
    expect(renderMarkdown(report)).toContain('- Allocated at ` ');
    expect(renderHtml(report)).toContain('Allocation stack, innermost first');
  });

  it('links a class of Node itself to the application site that creates it', async () => {
    // Act
    const report = await diffSeriesFiles([...timers.profiles, ...timers.snapshots]);
    // Assess
    expect(report.verdict).toBe('leak');
    const [top] = snapshotSuspects(report);
    expect(top.name).toBe('Timeout');
    expect(top.holder.path).toContain('timerListMap');
    expect(top.allocationSite).toMatchObject({ functionName: 'timers', line: LEAKING_FUNCTIONS.timers.timers });
  });

  it('shows an allocation site beside the snapshot suspects when nothing ties them together', async () => {
    // Act
    const report = await diffSeriesFiles([...listeners.snapshots, ...listeners.profiles]);
    // Assess
    expect(report.verdict).toBe('leak');
    const [top] = snapshotSuspects(report);
    expect(top.name).toBe('(closure) onConfigChanged');
    expect(top.allocationSite).toBeUndefined();
    const site = siteSuspects(report).find((suspect) => suspect.allocationSite.functionName === 'listeners');
    expect(site).toMatchObject<Partial<SiteSuspect>>({ growth: 'every-interval', retainerPath: [] });
    expect(site?.allocationSite.line).toBe(LEAKING_FUNCTIONS.listeners.listeners);
  });

  it('gives the snapshot report unchanged for snapshots alone', async () => {
    // Act
    const report = await diffSeriesFiles(memoize.snapshots);
    // Assess
    expect(report.profiles).toBeUndefined();
    expect(report.verdicts).toBeUndefined();
    expect(report.suspects[0]).toMatchObject({ name: 'RenderedPage', countDelta: 3000 });
    expect(report.suspects[0]).not.toHaveProperty('allocationSite');
  });

  it('takes 2 or 3 files of each kind', async () => {
    // Act / Assess
    await expect(diffSeriesFiles([...memoize.snapshots, memoize.profiles[0]])).rejects.toThrow(
      'diff takes 2 or 3 snapshots (.heapsnapshot) and/or 2 or 3 profiles (.heapprofile) of one process, each kind ' +
        'oldest first; got 3 snapshot(s) and 1 profile(s)',
    );
    await expect(diffSeriesFiles([])).rejects.toThrow(/got 0 snapshot\(s\) and 0 profile\(s\)/);
  });
});
