import type { HeapProfile } from '../../analysis/heap-profile';
import { assertSameProfileProcess } from '../../analysis/profile-same-process';

function profile(file: string, samples: [ordinal: number, size: number, stack: string][]): HeapProfile {
  return {
    file,
    fileBytes: 0,
    stacks: new Map(),
    samples: samples.map(([ordinal, size, stack]) => ({ ordinal, size, stack })),
    totalSamples: samples.length,
    totalBytes: samples.reduce((sum, [, size]) => sum + size, 0),
  };
}

describe('assertSameProfileProcess', () => {
  const earlier = profile('task-2026-12-06T01-00-00.000Z.heapprofile', [
    [10, 2_097_152, 'a'],
    [20, 2_097_152, 'b'],
    [30, 2_097_152, 'c'],
    [40, 2_097_152, 'd'],
  ]);

  it('accepts a series with few samples where one of them was found again under another stack', () => {
    // Prepare: 2 MiB sampling shares only a handful of samples between two reads
    const later = profile('task-2026-12-06T01-05-00.000Z.heapprofile', [
      [10, 2_097_152, 'a'],
      [20, 2_097_152, 'b'],
      [30, 2_097_152, 'c-moved'],
      [40, 2_097_152, 'd'],
      [50, 2_097_152, 'e'],
    ]);
    // Act
    const check = () => assertSameProfileProcess(earlier, later);
    // Assess
    expect(check).not.toThrow();
  });

  it('refuses a read of another process, whose ordinals name other allocations', () => {
    // Prepare
    const other = profile('task-2026-12-06T01-05-00.000Z.heapprofile', [
      [10, 524_288, 'x'],
      [20, 2_097_152, 'y'],
      [30, 1_048_576, 'c'],
      [40, 2_097_152, 'd'],
    ]);
    // Act
    const check = () => assertSameProfileProcess(earlier, other);
    // Assess
    expect(check).toThrow(/come from different processes \(3 of 4 samples with the same ordinal differ/);
  });
});
