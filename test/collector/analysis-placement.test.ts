import { analysisMemoryMiB, fargatePlacement } from '../../collector/analysis-placement';

const GiB = 1024 ** 3;

describe('fargatePlacement', () => {
  test('sizes the memory from the largest snapshot, ~4× its size plus 1 GiB', () => {
    expect(analysisMemoryMiB(2 * GiB)).toBe(9216);
    expect(analysisMemoryMiB(10 * GiB)).toBe(41_984);
  });

  test.each([
    [1000, { cpu: '4096', memoryMiB: '8192', nodeOptions: '--max-old-space-size=6963' }],
    [3 * GiB, { cpu: '4096', memoryMiB: '13312', nodeOptions: '--max-old-space-size=11315' }],
    [7 * GiB, { cpu: '4096', memoryMiB: '29696', nodeOptions: '--max-old-space-size=25241' }],
    [10 * GiB, { cpu: '8192', memoryMiB: '45056', nodeOptions: '--max-old-space-size=38297' }],
    [25 * GiB, { cpu: '16384', memoryMiB: '106496', nodeOptions: '--max-old-space-size=90521' }],
  ])(
    'a largest snapshot of %p bytes gets the smallest Fargate size that holds its analysis: %p',
    (bytes, placement) => {
      expect(fargatePlacement(bytes)).toEqual(placement);
    },
  );

  test('gives up beyond the largest Fargate task (120 GiB)', () => {
    expect(fargatePlacement(30 * GiB)).toBeUndefined();
  });
});
