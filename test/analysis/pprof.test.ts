import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGrowthPprof, readProfileSeries } from '../../analysis';
import { decodePprof } from './fixtures/decode-pprof';
import { LEAKING_FUNCTIONS } from './fixtures/leaking-lines';
import { writeProfileSeries } from './fixtures/write-series';

describe('encodeGrowthPprof', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-pprof-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the last profile and its growth, which name the leaking function', async () => {
    // Prepare
    const paths = await writeProfileSeries('timers', dir);
    const profiles = await readProfileSeries(paths);
    // Act
    const decoded = decodePprof(encodeGrowthPprof(profiles, 4096));
    // Assess
    expect(decoded.sampleTypes).toEqual(['samples/count', 'space/bytes', 'growth_samples/count', 'growth_space/bytes']);
    expect(decoded.defaultSampleType).toBe('growth_space');
    expect(decoded.comments).toEqual([
      `heapwatch: live sampled heap of ${paths[2]}`,
      `growth_samples, growth_space: ${paths[2]} minus ${paths[0]}`,
    ]);
    expect(Number(decoded.profile.period)).toBe(4096);
    const lastSamples = decoded.samples.reduce((sum, sample) => sum + sample.values[0], 0);
    expect(lastSamples).toBe(profiles[2].totalSamples);
    const growthAt = (name: string) =>
      decoded.samples
        .filter((sample) => sample.frames.some((frame) => frame.name === name))
        .reduce((sum, sample) => sum + sample.values[3], 0);
    const byGrowth = [...decoded.samples].sort((a, b) => b.values[3] - a.values[3]);
    expect(byGrowth[0].frames.map((frame) => frame.name)).toContain('timers');
    expect(byGrowth[0].frames.find((frame) => frame.name === 'timers')).toEqual({
      name: 'timers',
      file: expect.stringMatching(/fixtures\/leaky-service\.js$/),
      line: LEAKING_FUNCTIONS.timers.timers,
    });
    expect(growthAt('timers')).toBeGreaterThan(500 * 1024);
  });
});
