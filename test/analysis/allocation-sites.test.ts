import { findAllocationSites } from '../../analysis/allocation-sites';
import type { CallFrame } from '../../analysis/heap-profile';
import { formatFrame, isApplicationFrame } from '../../analysis/profile-frames';
import type { StackSeries } from '../../analysis/stack-series';

const APP = '/srv/app/src/pages.js';

function frame(functionName: string, url = APP, lineNumber = 10): CallFrame {
  return { functionName, scriptId: '1', url, lineNumber, columnNumber: 2 };
}

/** A stack whose live samples per profile are `samples`, each 4 KiB; `born`/`died` per interval. */
function stack(frames: CallFrame[], samples: number[], turnover: Array<[born: number, died: number]>): StackSeries {
  const overall = turnover.reduce((sum, [born, died]) => ({ born: sum.born + born, died: sum.died + died }), {
    born: 0,
    died: 0,
  });
  return {
    key: frames.map((f) => `${f.functionName}|${f.url}|${f.lineNumber}`).join('\n'),
    frames,
    samples,
    bytes: samples.map((count) => count * 4096),
    intervals: turnover.map(([born, died]) => ({ born, died })),
    overall,
    capture: false,
  };
}

const main = frame('main', APP, 1);
const handler = frame('renderHome', APP, 20);
const pageConstructor = frame('RenderedPage', APP, 5);

describe('findAllocationSites', () => {
  it('names the caller when V8 inlined the allocating function part of the time', () => {
    // Prepare: RenderedPage's samples stop when it gets inlined; from then on they land on renderHome.
    const stacks = [
      stack(
        [main, handler, pageConstructor, frame('padEnd', '')],
        [40, 90, 90],
        [
          [50, 0],
          [0, 0],
        ],
      ),
      stack(
        [main, handler, frame('padEnd', '')],
        [0, 0, 60],
        [
          [0, 0],
          [60, 0],
        ],
      ),
    ];
    // Act
    const { sites } = findAllocationSites(stacks, 64 * 1024);
    // Assess
    expect(sites[0]).toMatchObject({
      name: 'renderHome (…/src/pages.js:21)',
      allocationSite: { functionName: 'renderHome', url: APP, line: 21, column: 3 },
      growth: 'every-interval',
      callees: ['RenderedPage (…/src/pages.js:6)'],
      samples: [40, 90, 150],
      turnover: [
        { born: 50, died: 0 },
        { born: 60, died: 0 },
      ],
      stackCount: 2,
    });
    expect(sites[0].allocationStack[0]).toBe('padEnd (native)');
  });

  it('names the allocating function itself when it grows on its own', () => {
    // Prepare
    const stacks = [
      stack(
        [main, handler, pageConstructor],
        [10, 60, 110],
        [
          [50, 0],
          [50, 0],
        ],
      ),
      stack(
        [main, handler],
        [30, 31, 30],
        [
          [5, 4],
          [3, 4],
        ],
      ),
    ];
    // Act
    const { sites } = findAllocationSites(stacks, 64 * 1024);
    // Assess
    expect(sites.map((site) => [site.allocationSite.functionName, site.growth])).toEqual([
      ['RenderedPage', 'every-interval'],
    ]);
    expect(sites[0].allocationStack).toEqual([
      `RenderedPage (${APP}:6:3)`,
      `renderHome (${APP}:21:3)`,
      `main (${APP}:2:3)`,
    ]);
  });

  it('calls nothing growing when a churning cache only moved from one stack to another', () => {
    // Prepare: the cache replaced its 40 entries; the new ones were allocated after renderHome was optimised.
    const stacks = [
      stack(
        [main, handler, pageConstructor],
        [40, 0, 0],
        [
          [0, 40],
          [0, 0],
        ],
      ),
      stack(
        [main, handler],
        [0, 40, 40],
        [
          [40, 0],
          [38, 38],
        ],
      ),
    ];
    // Act
    const { sites } = findAllocationSites(stacks, 64 * 1024);
    // Assess
    expect(sites.filter((site) => site.growth !== 'within-noise')).toEqual([]);
  });

  it('gives one site for a function that leaks from several callers, with each stack', () => {
    // Prepare
    const save = frame('saveSession', APP, 40);
    const stacks = [
      stack(
        [main, frame('login', APP, 30), save],
        [0, 20, 40],
        [
          [20, 0],
          [20, 0],
        ],
      ),
      stack(
        [main, frame('refresh', APP, 35), save],
        [5, 25, 45],
        [
          [20, 0],
          [20, 0],
        ],
      ),
    ];
    // Act
    const { sites, sitesExamined } = findAllocationSites(stacks, 64 * 1024);
    // Assess
    expect(sitesExamined).toBe(5);
    expect(sites).toHaveLength(1);
    expect(sites[0]).toMatchObject({ name: 'saveSession (…/src/pages.js:41)', stackCount: 2, samples: [5, 45, 85] });
  });

  it('charges stacks without application code to their innermost frame with a script', () => {
    // Prepare
    const library = frame('hashSet', '/srv/app/node_modules/lodash/_hashSet.js', 14);
    const stacks = [
      stack(
        [frame('listOnTimeout', 'node:internal/timers'), library],
        [0, 30, 60],
        [
          [30, 0],
          [30, 0],
        ],
      ),
    ];
    // Act
    const { sites, sitesExamined } = findAllocationSites(stacks, 64 * 1024);
    // Assess
    expect(sitesExamined).toBe(1);
    expect(sites[0]).toMatchObject({ inApplication: false, allocationSite: { functionName: 'hashSet', line: 15 } });
  });

  it('needs the bytes floor as well as the sample test', () => {
    // Prepare
    const stacks = [
      stack(
        [main, handler],
        [0, 15, 30],
        [
          [15, 0],
          [15, 0],
        ],
      ),
    ];
    // Act
    const small = findAllocationSites(stacks, 1024 * 1024);
    const large = findAllocationSites(stacks, 64 * 1024);
    // Assess
    expect(small.sites[0].growth).toBe('within-noise');
    expect(large.sites[0].growth).toBe('every-interval');
  });
});

describe('isApplicationFrame', () => {
  it("keeps the application's scripts and leaves out Node, dependencies, builtins and V8's own frames", () => {
    // Act / Assess
    expect(isApplicationFrame(frame('handler', 'file:///srv/app/dist/main.mjs'))).toBe(true);
    expect(isApplicationFrame(frame('handler', 'C:\\srv\\app\\main.js'))).toBe(true);
    expect(isApplicationFrame(frame('setInterval', 'node:timers'))).toBe(false);
    expect(isApplicationFrame(frame('listOnTimeout', 'internal/timers.js'))).toBe(false);
    expect(isApplicationFrame(frame('memoized', '/srv/app/node_modules/lodash/memoize.js'))).toBe(false);
    expect(isApplicationFrame(frame('memoized', 'C:\\srv\\app\\node_modules\\lodash\\memoize.js'))).toBe(false);
    expect(isApplicationFrame(frame('padEnd', ''))).toBe(false);
    expect(isApplicationFrame(frame('(root)', APP))).toBe(false);
    expect(isApplicationFrame(frame('(garbage collector)', APP))).toBe(false);
  });

  it('formats frames as stack traces do, 1-based', () => {
    // Act / Assess
    expect(formatFrame(frame('', APP, 0))).toBe(`(anonymous) (${APP}:1:3)`);
    expect(formatFrame(frame('padEnd', ''))).toBe('padEnd (native)');
  });
});
