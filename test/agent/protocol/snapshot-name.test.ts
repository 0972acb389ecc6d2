import { snapshotFileName, snapshotKey } from '@heapwatch/agent/protocol';

describe('snapshot naming', () => {
  const at = new Date('2026-11-27T01:02:03.456Z');

  it('names files by task and time', () => {
    expect(snapshotFileName('abc123', at)).toBe('abc123-2026-11-27T01-02-03.456Z.heapsnapshot');
  });

  it('keys snapshots by cluster, service and task', () => {
    expect(snapshotKey('prod', 'web', 'abc123', at)).toBe('prod/web/abc123/2026-11-27T01-02-03.456Z.heapsnapshot');
  });

  it('refuses names that would escape the prefix', () => {
    expect(() => snapshotKey('prod', '../web', 'abc', at)).toThrow(/service/);
    expect(() => snapshotKey('prod', 'web', 'a/b', at)).toThrow(/task id/);
  });
});
