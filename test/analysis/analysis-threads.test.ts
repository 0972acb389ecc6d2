import { ANALYSIS_BYTES_PER_FILE_BYTE, snapshotsAtOnce } from '../../analysis/analysis-threads';

describe('snapshotsAtOnce', () => {
  const MB = 1e6;
  const series = [360 * MB, 380 * MB, 400 * MB];
  const oneAnalysis = 400 * MB * ANALYSIS_BYTES_PER_FILE_BYTE;
  const summaries = 1140 * MB * 0.5;

  it.each([
    ['a budget for all three', 8, summaries + 3 * oneAnalysis, 3],
    ['two threads', 2, summaries + 3 * oneAnalysis, 2],
    ['a budget for two', 8, summaries + 2 * oneAnalysis + MB, 2],
    ['a budget for less than one: one at a time, never none', 8, 1, 1],
    ['one thread', 1, 1e12, 1],
  ])('analyses as many snapshots at once as %s allows', (_, threads, memoryBudgetBytes, expected) => {
    expect(snapshotsAtOnce(series, { threads, memoryBudgetBytes })).toBe(expected);
  });

  it('never runs more threads than there are snapshots', () => {
    expect(snapshotsAtOnce([10 * MB, 10 * MB], { threads: 16, memoryBudgetBytes: 1e12 })).toBe(2);
  });
});
