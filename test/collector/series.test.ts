import { normalizeSeriesRequest, reportKeys } from '../../collector/series';

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
  test('puts the reports beside the task’s snapshots', () => {
    expect(reportKeys('prod', 'web', 'abc')).toEqual({
      json: 'prod/web/abc/report.json',
      md: 'prod/web/abc/report.md',
      html: 'prod/web/abc/report.html',
    });
  });
});
