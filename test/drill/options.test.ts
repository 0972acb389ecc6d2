import { parseDrillOptions } from '../../drill/options';

const leaks = ['none', 'memoize'];

describe('drill options', () => {
  it('defaults to the incident: the memoize leak, ab -c 50 -n 5000', () => {
    expect(parseDrillOptions([], leaks)).toEqual({
      leak: 'memoize',
      durationSeconds: 120,
      requestsPerRound: 5000,
      connections: 50,
      outDir: 'drill-report',
      json: false,
      quick: false,
    });
  });

  it('shortens the drill with --quick, and explicit values win', () => {
    expect(parseDrillOptions(['--quick', '--requests', '100'], leaks)).toMatchObject({
      durationSeconds: 45,
      requestsPerRound: 100,
      quick: true,
    });
  });

  it('names the bad value and the choices', () => {
    expect(() => parseDrillOptions(['--leak', 'oops'], leaks)).toThrow(
      /--leak oops is unknown: choose one of none, memoize/,
    );
    expect(() => parseDrillOptions(['--duration', '0'], leaks)).toThrow(/--duration 0 is invalid/);
    expect(() => parseDrillOptions(['--nope'], leaks)).toThrow(/nope/);
  });

  it('answers --help', () => {
    expect(parseDrillOptions(['--help'], leaks)).toBe('help');
  });
});
