import { Duration } from 'aws-cdk-lib';
import {
  captureFreeze,
  containerHealthCheckFailsDuring,
  targetHealthTolerance,
} from '../../../lib/watch/capture-freeze';

describe('captureFreeze', () => {
  it('scales the measured 27.6 s per 193 MB heap to the largest heap a task of this size may capture', () => {
    // 2 GiB task → ~171 MiB capturable heap → ~24 s measured rate, ×1.5 margin
    expect(captureFreeze(2048).toSeconds()).toBe(37);
    expect(captureFreeze(16384).toSeconds()).toBeGreaterThan(280);
  });
});

describe('targetHealthTolerance', () => {
  function consecutiveFailures(freezeSeconds: number, tolerance: ReturnType<typeof targetHealthTolerance>): number {
    // Worst case: a check starts just before the freeze and every check until it ends times out.
    return Math.ceil((freezeSeconds + tolerance.timeout.toSeconds()) / tolerance.interval.toSeconds()) + 1;
  }

  it.each([10, 37, 120, 290, 600])('keeps a %i s freeze below the unhealthy threshold', (seconds) => {
    const tolerance = targetHealthTolerance(Duration.seconds(seconds));
    expect(consecutiveFailures(seconds, tolerance)).toBeLessThan(tolerance.unhealthyThresholdCount);
    expect(tolerance.unhealthyThresholdCount).toBeLessThanOrEqual(10);
    expect(tolerance.interval.toSeconds()).toBeLessThanOrEqual(300);
    expect(tolerance.interval.toSeconds()).toBeGreaterThanOrEqual(tolerance.timeout.toSeconds());
  });

  it('keeps the 30 s interval for typical task sizes', () => {
    expect(targetHealthTolerance(Duration.seconds(37))).toMatchObject({
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 4,
    });
    expect(targetHealthTolerance(Duration.seconds(37)).interval.toSeconds()).toBe(30);
  });
});

describe('containerHealthCheckFailsDuring', () => {
  it('flags the ECS defaults for a half-minute freeze and accepts generous retries', () => {
    expect(containerHealthCheckFailsDuring({ interval: 30, timeout: 5, retries: 3 }, Duration.seconds(37))).toBe(true);
    expect(containerHealthCheckFailsDuring({ interval: 30, timeout: 5, retries: 5 }, Duration.seconds(37))).toBe(false);
  });
});
