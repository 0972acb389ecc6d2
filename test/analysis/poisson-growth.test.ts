import { grewBeyondNoise, growsInEveryInterval, siteZ, upperNormalQuantile } from '../../analysis/poisson-growth';
import { seededRandom } from '../support/seeded-random';

/** A seeded generator, so the simulations below are the same on every run. */
const random = seededRandom;

function poisson(mean: number, next: () => number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = next(); product > limit; product *= next()) count++;
  return count;
}

describe('upperNormalQuantile', () => {
  it('matches the standard normal table', () => {
    // Act / Assess
    expect(upperNormalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(upperNormalQuantile(0.025)).toBeCloseTo(1.959964, 5);
    expect(upperNormalQuantile(0.00135)).toBeCloseTo(3.0, 2);
    expect(upperNormalQuantile(1e-5)).toBeCloseTo(4.264891, 5);
    expect(upperNormalQuantile(1e-10)).toBeCloseTo(6.361341, 5);
    expect(() => upperNormalQuantile(0)).toThrow(RangeError);
  });
});

describe('siteZ', () => {
  it('is 3 for a few sites and grows with the number examined (Bonferroni at 1 %)', () => {
    // Act / Assess
    expect(siteZ(1)).toBe(3);
    expect(siteZ(100)).toBeCloseTo(3.719, 3);
    expect(siteZ(1000)).toBeCloseTo(4.265, 3);
    expect(siteZ(10_000)).toBeCloseTo(4.753, 3);
  });
});

describe('grewBeyondNoise', () => {
  it('tells a leak (samples born, none dying) from a cache replacing its objects', () => {
    // Act / Assess
    expect(grewBeyondNoise({ born: 20, died: 0 }, 3)).toBe(true);
    expect(grewBeyondNoise({ born: 9, died: 0 }, 3)).toBe(false);
    expect(grewBeyondNoise({ born: 160, died: 100 }, 3)).toBe(true); // 60 > 3·√260 ≈ 48.4
    expect(grewBeyondNoise({ born: 140, died: 100 }, 3)).toBe(false); // 40 < 3·√240 ≈ 46.5
    expect(grewBeyondNoise({ born: 0, died: 50 }, 3)).toBe(false);
    expect(
      growsInEveryInterval(
        [
          { born: 30, died: 1 },
          { born: 2, died: 0 },
        ],
        3,
      ),
    ).toBe(false);
    expect(growsInEveryInterval([], 3)).toBe(false);
  });

  it('raises a false leak in at most 1 % of series of 100 churning sites, and finds a modest leak among them', () => {
    // Prepare: each site allocates and frees at the same rate; born and died are Poisson with the same mean.
    const next = random(17);
    const sites = 100;
    const series = 300;
    const z = siteZ(sites);
    let falseSeries = 0;
    let found = 0;
    // Act
    for (let run = 0; run < series; run++) {
      let falseAlarm = false;
      for (let site = 0; site < sites; site++) {
        const mean = [0.5, 3, 20, 60][site % 4];
        const intervals = [0, 1].map(() => ({ born: poisson(mean, next), died: poisson(mean, next) }));
        if (growsInEveryInterval(intervals, z)) falseAlarm = true;
      }
      if (falseAlarm) falseSeries++;
      // One more site leaks 80 samples an interval on top of churning 60 (z = 3.72: the test needs ~53).
      const leak = [0, 1].map(() => ({ born: poisson(140, next), died: poisson(60, next) }));
      if (growsInEveryInterval(leak, z)) found++;
    }
    // Assess
    expect(falseSeries / series).toBeLessThanOrEqual(0.02);
    expect(found / series).toBeGreaterThan(0.85);
  });
});
