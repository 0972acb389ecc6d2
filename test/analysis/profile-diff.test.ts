import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffProfileFiles, isSiteSuspect, type SiteSuspect } from '../../analysis';
import { LEAKING_FUNCTIONS } from './fixtures/leaking-lines';
import { type Scenario, writeProfileSeries } from './fixtures/write-series';

type Leak = keyof typeof LEAKING_FUNCTIONS;

/** Each series: a real child process with a known leak, V8's sampling heap profiler on, 3 profiles between work. */
describe('diffProfileFiles on real leaks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-profile-diff-'));
  const series = new Map<Scenario, string[]>();

  beforeAll(async () => {
    const scenarios: Scenario[] = ['memoize', 'global-array', 'listeners', 'timers', 'bounded-cache'];
    const written = await Promise.all(scenarios.map((scenario) => writeProfileSeries(scenario, dir)));
    for (const [index, scenario] of scenarios.entries()) series.set(scenario, written[index]);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const leaks: Leak[] = ['memoize', 'global-array', 'listeners', 'timers'];

  it.each(leaks)('%s: a leak, at the function of the fixture that allocates what leaks', async (scenario) => {
    // Act
    const report = await diffProfileFiles(series.get(scenario)!, { top: 5 });
    // Assess
    expect(report.verdict).toBe('leak');
    const top = report.suspects[0] as SiteSuspect;
    expect(isSiteSuspect(top)).toBe(true);
    const site = top.allocationSite;
    expect(Object.keys(LEAKING_FUNCTIONS[scenario])).toContain(site.functionName);
    expect(site.url).toMatch(/fixtures\/leaky-service\.js$/);
    expect(site.line).toBe(LEAKING_FUNCTIONS[scenario][site.functionName]);
    expect(site.column).toBeGreaterThan(0);
    expect(top.allocationStack.some((frame) => frame.includes(`leaky-service.js:${site.line}:${site.column})`))).toBe(
      true,
    );
    expect(top.name).toBe(`${site.functionName || '(anonymous)'} (…/fixtures/leaky-service.js:${site.line})`);
    expect(top).toMatchObject({ retainerPath: [], growth: 'every-interval', growsInEveryInterval: true });
    expect(top.countDelta).toBeGreaterThan(50);
    expect(top.sizeDelta).toBeGreaterThan(200 * 1024);
    expect(top.retainedSize).toBe(top.bytes[2]);
    expect(top.samples[2]).toBeGreaterThan(top.samples[1]);
    expect(top.samples[1]).toBeGreaterThan(top.samples[0]);
    expect(report.profiles?.total.growsInEveryInterval).toBe(true);
    expect(report.reasoning).toContain(top.name);
    expect(report.reasoning).toContain(
      'V8 may inline small functions; the site is the nearest frame the profile kept.',
    );
    expect(report.snapshots).toEqual([]);
  });

  it('does not call a bounded LRU cache that churns a leak', async () => {
    // Act
    const report = await diffProfileFiles(series.get('bounded-cache')!);
    // Assess
    expect(report.verdict).toBe('no-leak');
    expect(report.profiles?.sites.filter((site) => site.growth !== 'within-noise')).toEqual([]);
    expect(report.profiles?.total.growsInEveryInterval).toBe(false);
    expect(report.reasoning).toMatch(/No allocation site/);
  });

  it('reports growth but no verdict from 2 profiles', async () => {
    // Prepare
    const [first, , last] = series.get('timers')!;
    // Act
    const report = await diffProfileFiles([first, last]);
    // Assess
    expect(report.verdict).toBe('inconclusive');
    expect(report.reasoning).toContain('third profile');
    expect((report.suspects[0] as SiteSuspect).allocationSite.functionName).toBe('timers');
    expect(report.profiles?.profiles).toHaveLength(2);
  });

  it('gives the JSON contract: per-profile series, the sites, the test', async () => {
    // Act
    const report = JSON.parse(JSON.stringify(await diffProfileFiles(series.get('listeners')!, { top: 3 })));
    // Assess
    expect(Object.keys(report.suspects[0])).toEqual(
      expect.arrayContaining([
        'name',
        'countDelta',
        'sizeDelta',
        'retainedSize',
        'retainerPath',
        'allocationSite',
        'allocationStack',
      ]),
    );
    expect(report.profiles.profiles).toHaveLength(3);
    expect(report.profiles.profiles[0]).toEqual({
      file: series.get('listeners')![0],
      fileBytes: expect.any(Number),
      samples: expect.any(Number),
      bytes: expect.any(Number),
    });
    expect(report.profiles.samplingIntervalBytes).toBeGreaterThanOrEqual(4096);
    expect(report.profiles.samplingIntervalBytes).toBeLessThan(4096 * 1.1);
    expect(report.profiles.total.turnover).toHaveLength(2);
    expect(report.profiles.sites.length).toBeLessThanOrEqual(3);
    expect(report.profiles.threshold).toMatchObject({ minSampleGrowth: 10, totalZ: 3, familyFalseAlarmRate: 0.01 });
    expect(report.profiles.threshold.siteZ).toBeGreaterThanOrEqual(3);
  });

  it('does not call profiles without samples no-leak', async () => {
    // Prepare: what the agent answers when sampling started just before the read.
    const root = { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 };
    const empty = join(dir, 'empty.heapprofile');
    writeFileSync(empty, JSON.stringify({ head: { callFrame: root, selfSize: 0, id: 1, children: [] }, samples: [] }));
    // Act
    const report = await diffProfileFiles([empty, empty, empty]);
    // Assess
    expect(report.verdict).toBe('inconclusive');
    expect(report.reasoning).toMatch(/no samples/);
  });

  it('refuses profiles of different processes, newest first, too few or too many, and other files', async () => {
    // Prepare
    const [memoizeFirst] = series.get('memoize')!;
    const [, timersSecond] = series.get('timers')!;
    const [first, second, third] = series.get('global-array')!;
    const notProfile = join(dir, 'package.heapprofile');
    writeFileSync(notProfile, JSON.stringify({ name: 'heapwatch', version: '1.0.0' }));
    const truncated = join(dir, 'truncated.heapprofile');
    writeFileSync(truncated, '{"head":{"callFrame":');
    // Act / Assess
    await expect(diffProfileFiles([memoizeFirst, timersSecond])).rejects.toThrow(
      /come from different processes|or from another process/,
    );
    // Named as the agent names them, the files tell their order.
    const named = [first, second].map((file, index) => {
      const copy = join(dir, `task-1-2026-12-06T01-0${index}-00.000Z.heapprofile`);
      copyFileSync(file, copy);
      return copy;
    });
    await expect(diffProfileFiles([named[1], named[0]])).rejects.toThrow(/is older than/);
    await expect(diffProfileFiles([first])).rejects.toThrow(/2 or 3 heap profiles/);
    await expect(diffProfileFiles([first, second, third, third])).rejects.toThrow(/2 or 3 heap profiles/);
    await expect(diffProfileFiles([notProfile, first])).rejects.toThrow(
      /package\.heapprofile: not a V8 sampling heap profile \(\.heapprofile\): no "head" call tree/,
    );
    await expect(diffProfileFiles([first, truncated])).rejects.toThrow(/truncated\.heapprofile: .*truncated/);
  });
});
