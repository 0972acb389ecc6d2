import type { MemoryKind } from '../../queries';
import { ALERT_NAMES } from '../build-rules';
import { annotationScenarios } from './annotation-scenarios';
import { shapes, type TaskModel } from './task-series';

/** The situations the alert rules must get right; each becomes one promtool test group. */

export type AlertName = (typeof ALERT_NAMES)[keyof typeof ALERT_NAMES];

export type Expectation =
  /** The alert is firing for the task (and floor) at this minute. */
  | {
      readonly kind: 'firing';
      readonly alert: AlertName;
      readonly taskId: string;
      readonly memory?: MemoryKind;
      readonly minute: number;
    }
  /** The alert has not fired for the task (or any task) at any minute up to and including this one. */
  | { readonly kind: 'silent'; readonly alert?: AlertName; readonly taskId?: string; readonly untilMinute: number }
  /** The alert fires with exactly these annotations at this minute (one task, values chosen to round exactly). */
  | {
      readonly kind: 'annotations';
      readonly alert: AlertName;
      readonly taskId: string;
      readonly memory?: MemoryKind;
      readonly minute: number;
      readonly annotations: Readonly<Record<string, string>>;
    };

export interface Scenario {
  readonly name: string;
  readonly durationMinutes: number;
  readonly tasks: readonly TaskModel[];
  readonly expectations: readonly Expectation[];
  /** The leaks in the scenario, as they truly are: what detection times are measured against. */
  readonly leaks?: readonly LeakTruth[];
}

export interface LeakTruth {
  readonly taskId: string;
  readonly memory: MemoryKind;
  readonly kind: string;
  readonly gcPeriodMinutes: number;
  readonly onsetMinute: number;
  /** When the floor reaches the limit that kills the task. */
  readonly exhaustedAtMinute: number;
}

export const SCENARIO_LABELS = { cluster: 'prod', service: 'web' } as const;

const { leakSuspected: LEAK, exhaustionPredicted: EXHAUSTION, agentDown: AGENT_DOWN } = ALERT_NAMES;
const ONSET = 60;
const HOUR = 60;
const SIX_HOURS = 6 * HOUR;
/** Major-GC periods the leak and control scenarios run at: busy, moderate and idle services. */
export const GC_PERIODS = [1, 6, 15] as const;
/** How soon after its onset a leak must page, by major-GC period (the alert's latency goal). */
export const PAGE_WITHIN_MINUTES: Readonly<Record<(typeof GC_PERIODS)[number], number>> = { 1: 30, 6: 30, 15: 60 };

const HEAP_LIMIT_MIB = 1024;
const CONTAINER_LIMIT_MIB = 2048;
const BASE = { heap: 100, external: 8, native: 60 } as const;

/** Post-GC heap after a start: rising for 15 min while caches and code warm up, then flat. */
const warmup = (startMinute: number) => shapes.ramp(40, 120, startMinute, startMinute + 15);

/** Where a leak grows, and how its task is modelled. */
type LeakKind = 'old' | 'large_object' | 'external' | 'native';
const LEAK_KINDS: readonly LeakKind[] = ['old', 'large_object', 'external', 'native'];
const MEMORY_OF: Readonly<Record<LeakKind, MemoryKind>> = {
  old: 'heap',
  large_object: 'heap',
  external: 'external',
  native: 'native',
};

/**
 * A linear leak that exhausts its limit `hoursToLimit` after the onset: the heap limit for heap leaks, the container
 * limit for off-heap ones (the resident set grows by the leak; the heap limit does not bound it).
 */
function leakTask(kind: LeakKind, hoursToLimit: number, gcPeriod: number): TaskModel {
  const taskId = `${kind.replace('_', '-')}-${hoursToLimit}h-gc${gcPeriod}`;
  const common = { taskId, startMinute: -120, gcPeriodMinutes: gcPeriod, containerLimitMiB: CONTAINER_LIMIT_MIB };
  const residentMiB = BASE.heap + BASE.external + BASE.native;
  const containerRate = (CONTAINER_LIMIT_MIB - residentMiB) / hoursToLimit;
  switch (kind) {
    case 'old':
    case 'large_object':
      return {
        ...common,
        growingSpace: kind,
        heapMiB: shapes.linear(BASE.heap, ONSET, (HEAP_LIMIT_MIB - BASE.heap) / hoursToLimit),
      };
    case 'external':
      return {
        ...common,
        heapMiB: shapes.flat(BASE.heap),
        externalMiB: shapes.linear(BASE.external, ONSET, containerRate),
      };
    case 'native':
      return {
        ...common,
        heapMiB: shapes.flat(BASE.heap),
        nativeMiB: shapes.linear(BASE.native, ONSET, containerRate),
      };
  }
}

/** Every leak kind at every GC period, exhausting its limit in `hoursToLimit`: pages in time, predicts in time. */
function leakScenario(hoursToLimit: number): Scenario {
  const exhaustedAt = ONSET + hoursToLimit * HOUR;
  const tasks = GC_PERIODS.flatMap((gcPeriod) => LEAK_KINDS.map((kind) => leakTask(kind, hoursToLimit, gcPeriod)));
  return {
    name: `leaks exhausting their limit in ${hoursToLimit} h: old space, large objects, external, native; major GC every 1, 6 and 15 min`,
    durationMinutes: exhaustedAt - 3.5 * HOUR,
    tasks,
    leaks: GC_PERIODS.flatMap((gcPeriod) =>
      LEAK_KINDS.map((kind) => ({
        taskId: leakTask(kind, hoursToLimit, gcPeriod).taskId,
        memory: MEMORY_OF[kind],
        kind: `${kind.replace('_', '-')}, ${hoursToLimit} h to its limit`,
        gcPeriodMinutes: gcPeriod,
        onsetMinute: ONSET,
        exhaustedAtMinute: exhaustedAt,
      })),
    ),
    expectations: [
      { kind: 'silent', untilMinute: ONSET },
      ...GC_PERIODS.flatMap((gcPeriod) =>
        LEAK_KINDS.flatMap((kind): Expectation[] => {
          const taskId = leakTask(kind, hoursToLimit, gcPeriod).taskId;
          const memory = MEMORY_OF[kind];
          return [
            { kind: 'firing', alert: LEAK, taskId, memory, minute: ONSET + PAGE_WITHIN_MINUTES[gcPeriod] },
            // The prediction pages 3.5 to 4.5 h before the limit is reached.
            { kind: 'silent', alert: EXHAUSTION, taskId, untilMinute: exhaustedAt - 4.5 * HOUR },
            { kind: 'firing', alert: EXHAUSTION, taskId, memory, minute: exhaustedAt - 3.5 * HOUR },
          ];
        }),
      ),
    ],
  };
}

/** Controls: memory that rises and stays, or rises and goes, without a leak. None of them may page. */
function controlScenarios(): Scenario[] {
  return [
    {
      name: 'flat floors with post-GC sizes wobbling by 1 and 3 MiB, major GC every 1, 6, 15 and 40 min',
      durationMinutes: SIX_HOURS,
      tasks: [1, 6, 15, 40].flatMap((gcPeriod) =>
        [1, 3].map((jitter) => ({
          taskId: `flat-gc${gcPeriod}-wobble${jitter}`,
          startMinute: -120,
          gcPeriodMinutes: gcPeriod,
          jitterMiB: jitter,
          heapMiB: shapes.flat(150),
        })),
      ),
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'warm-up after a start: fast (heap rising for 15 min) and slow (heap and external approaching a plateau)',
      durationMinutes: SIX_HOURS,
      tasks: GC_PERIODS.flatMap((gcPeriod) => [
        { taskId: `warm-fast-gc${gcPeriod}`, startMinute: 0, gcPeriodMinutes: gcPeriod, heapMiB: warmup(0) },
        {
          taskId: `warm-slow-gc${gcPeriod}`,
          startMinute: 0,
          gcPeriodMinutes: gcPeriod,
          heapMiB: shapes.approach(40, 200, 0, 7),
          externalMiB: shapes.approach(2, 60, 0, 7),
        },
      ]),
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'traffic bursts (heap up for ~20 min, then back)',
      durationMinutes: SIX_HOURS,
      tasks: GC_PERIODS.flatMap((gcPeriod) => [
        {
          taskId: `ramp-burst-gc${gcPeriod}`,
          startMinute: -120,
          gcPeriodMinutes: gcPeriod,
          heapMiB: shapes.path([
            [120, 100],
            [140, 250],
            [145, 100],
          ]),
        },
        {
          taskId: `step-burst-gc${gcPeriod}`,
          startMinute: -120,
          gcPeriodMinutes: gcPeriod,
          heapMiB: shapes.path([
            [120, 100],
            [123, 220],
            [140, 220],
            [143, 100],
          ]),
        },
      ]),
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'a one-off cache fill (+210 MB over 15 min, then flat) and an external burst that goes away',
      durationMinutes: SIX_HOURS,
      tasks: GC_PERIODS.flatMap((gcPeriod) =>
        [0, Math.floor(gcPeriod / 2)].flatMap((phase) => [
          {
            taskId: `cache-fill-gc${gcPeriod}-phase${phase}`,
            startMinute: -120,
            gcPeriodMinutes: gcPeriod,
            gcPhaseMinutes: phase,
            heapMiB: shapes.ramp(100, 300, 120, 135),
          },
          {
            taskId: `buffer-burst-gc${gcPeriod}-phase${phase}`,
            startMinute: -120,
            gcPeriodMinutes: gcPeriod,
            gcPhaseMinutes: phase,
            heapMiB: shapes.flat(100),
            externalMiB: shapes.path([
              [120, 8],
              [130, 208],
              [140, 208],
              [145, 8],
            ]),
          },
        ]),
      ),
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'deploys replacing tasks (old task stops, new one warms up)',
      durationMinutes: SIX_HOURS,
      tasks: [
        { taskId: 'rev1', startMinute: -240, endMinute: 123, heapMiB: shapes.flat(120) },
        { taskId: 'rev2', startMinute: 120, endMinute: 243, heapMiB: warmup(120) },
        { taskId: 'rev3', startMinute: 240, heapMiB: warmup(240) },
      ],
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
  ];
}

/** An agent that stops answering while its task runs pages; a blip (a snapshot's frozen event loop) does not. */
function agentDownScenario(): Scenario {
  return {
    name: 'an agent that stops answering scrapes, and one that misses three minutes',
    durationMinutes: 3 * HOUR,
    tasks: [
      { taskId: 'agent-down', startMinute: -120, heapMiB: shapes.flat(100), agentDown: [100, 160] },
      { taskId: 'agent-blip', startMinute: -120, heapMiB: shapes.flat(100), agentDown: [100, 103] },
    ],
    expectations: [
      { kind: 'silent', alert: AGENT_DOWN, untilMinute: 104 },
      { kind: 'firing', alert: AGENT_DOWN, taskId: 'agent-down', minute: 106 },
      { kind: 'firing', alert: AGENT_DOWN, taskId: 'agent-down', minute: 159 },
      { kind: 'silent', alert: AGENT_DOWN, taskId: 'agent-blip', untilMinute: 3 * HOUR },
      { kind: 'silent', alert: LEAK, untilMinute: 3 * HOUR },
    ],
  };
}

export function scenarios(): Scenario[] {
  return [
    leakScenario(10),
    leakScenario(24),
    {
      name: 'leak from the start of a task (warm-up, then the heap keeps rising)',
      durationMinutes: 2 * HOUR,
      tasks: [
        {
          taskId: 'leaky-from-start',
          startMinute: 0,
          heapMiB: shapes.sum(warmup(0), shapes.linear(0, 15, 92)),
        },
      ],
      expectations: [
        { kind: 'silent', alert: LEAK, untilMinute: 35 },
        { kind: 'firing', alert: LEAK, taskId: 'leaky-from-start', memory: 'heap', minute: 50 },
      ],
    },
    {
      name: 'leak bounded by the container limit, far below the heap limit',
      durationMinutes: ONSET + 2 * HOUR + 15,
      tasks: [
        {
          taskId: 'containerbound',
          startMinute: -120,
          // 150 MiB/h: the container's headroom (1024 MiB limit - 168 MiB resident) lasts 5.7 h, the 4 GiB heap
          // 26 h; the true time left crosses 4 h 1.7 h after onset.
          heapMiB: shapes.linear(100, ONSET, 150),
          heapLimitMiB: 4096,
          containerLimitMiB: 1024,
        },
      ],
      expectations: [
        { kind: 'silent', alert: EXHAUSTION, untilMinute: ONSET + 85 },
        { kind: 'firing', alert: EXHAUSTION, taskId: 'containerbound', memory: 'heap', minute: ONSET + 2 * HOUR + 10 },
      ],
    },
    ...controlScenarios(),
    agentDownScenario(),
    ...annotationScenarios(ONSET),
  ];
}
