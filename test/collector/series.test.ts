import { latestReportKey, normalizeSeriesRequest, reportKeys, takesSnapshot } from '../../collector/series';

describe('normalizeSeriesRequest', () => {
  test('applies the defaults once', () => {
    expect(normalizeSeriesRequest({ cluster: 'prod', service: 'web' })).toEqual({
      cluster: 'prod',
      service: 'web',
      count: 3,
      intervalSeconds: 300,
      reason: 'manual',
    });
  });

  test.each([
    [{ count: 11 }, /count 11 is invalid: a diff needs 2 to 10 snapshots/],
    [{ intervalSeconds: -1 }, /interval -1 s is invalid/],
    [{ count: 10, intervalSeconds: 10 * 3600 }, /10 snapshots 36000 s apart take 90 h: keep a series under 20 h/],
    [{ taskId: 'a/b' }, /task id "a\/b" is invalid/],
    [{ cluster: 'prod cluster' }, /cluster "prod cluster" is invalid in an S3 key/],
  ])('rejects %p', (overrides, message) => {
    expect(() => normalizeSeriesRequest({ cluster: 'prod', service: 'web', ...overrides })).toThrow(message);
  });
});

describe('reportKeys', () => {
  test('gives each series of a task its own folder, named by when it started', () => {
    expect(reportKeys('prod', 'web', 'abc', '2026-11-27T01:02:03.456Z')).toEqual({
      json: 'prod/web/abc/series-2026-11-27T01-02-03.456Z/report.json',
      md: 'prod/web/abc/series-2026-11-27T01-02-03.456Z/report.md',
      html: 'prod/web/abc/series-2026-11-27T01-02-03.456Z/report.html',
    });
    expect(latestReportKey('prod', 'web', 'abc')).toBe('prod/web/abc/latest-report.json');
  });

  test('refuses a start time that is not one', () => {
    expect(() => reportKeys('prod', 'web', 'abc', 'yesterday')).toThrow(/startedAt "yesterday" is not a time/);
  });
});

describe('takesSnapshot', () => {
  const snapshotSteps = (count: number) =>
    Array.from({ length: count }, (_, index) => index + 1).filter((step) => takesSnapshot(step, count));

  test('takes snapshots only at the steps the diff uses: all of 2 or 3, else first, middle and last', () => {
    expect(snapshotSteps(2)).toEqual([1, 2]);
    expect(snapshotSteps(3)).toEqual([1, 2, 3]);
    expect(snapshotSteps(4)).toEqual([1, 2, 4]);
    expect(snapshotSteps(10)).toEqual([1, 5, 10]);
  });
});
