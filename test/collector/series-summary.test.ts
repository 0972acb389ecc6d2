import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffSeriesFiles } from '../../analysis';
import { summaryText } from '../../collector/series-summary';
import { writeSnapshotSeries } from '../analysis/fixtures/write-series';

describe('the SNS summary of a series', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-summary-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names classes and property names but no heap string: a cache keyed by e-mail addresses', async () => {
    // Prepare: the report as the collector's analysis writes it (default options)
    const snapshots = await writeSnapshotSeries('emails', dir);
    const report = await diffSeriesFiles(snapshots);
    // Act
    const text = summaryText(
      { cluster: 'prod', service: 'web', taskId: 'task-1', reason: 'alert HeapwatchLeakSuspected (memory=heap)' },
      report,
      { json: 's3://b/r.json', md: 's3://b/r.md', html: 's3://b/r.html' },
      undefined,
    );
    // Assess
    expect(report.verdict).toBe('leak');
    expect(text).toContain('1. Session: +3000 objects');
    expect(text).toMatch(/at: sessionsByEmail\[<\d+ chars>\]/);
    expect(text).not.toMatch(/@|example\.com/);
  }, 60_000);
});
