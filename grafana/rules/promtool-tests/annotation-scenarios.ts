import { ALERT_NAMES } from '../build-rules';
import type { Scenario } from './scenarios';
import { shapes } from './task-series';

/** The exact text of the alerts' annotations, for each kind of memory. */

const { leakSuspected: LEAK, exhaustionPredicted: EXHAUSTION } = ALERT_NAMES;

/**
 * Leaks of exactly 100 MiB/h without wobble, a major GC every minute, so the rendered annotations are predictable:
 * at minute 125 the heap floor is 812.3 MiB (704 + 65 min × 100 MiB/h), 211.7 MiB below the 1 GiB heap limit
 * (2.1 h); the resident set is 880.3 MiB, 1167.7 MiB below the 2 GiB container limit (11.7 h).
 */
export function annotationScenarios(onsetMinute: number): Scenario[] {
  const minute = 125;
  const exact = { startMinute: -120, jitterMiB: 0, gcPeriodMinutes: 1 } as const;
  const heapTask = {
    ...exact,
    taskId: 'annotated',
    heapMiB: shapes.linear(704, onsetMinute, 100),
    containerLimitMiB: 2048,
  };
  const externalTask = {
    ...exact,
    taskId: 'buffers',
    heapMiB: shapes.flat(100),
    externalMiB: shapes.linear(8, onsetMinute, 100),
    containerLimitMiB: 1024,
  };
  const nativeTask = {
    ...exact,
    taskId: 'native',
    heapMiB: shapes.flat(100),
    nativeMiB: shapes.linear(60, onsetMinute, 100),
    containerLimitMiB: 1024,
  };
  const heapPrediction =
    'At this rate the floor reaches the V8 heap limit in 2.1 h and the container memory limit in 11.7 h.';
  return [
    {
      name: 'annotations of both alerts on a heap leak (exact rendering)',
      durationMinutes: minute,
      tasks: [heapTask],
      expectations: [
        {
          kind: 'annotations',
          alert: LEAK,
          taskId: 'annotated',
          memory: 'heap',
          minute,
          annotations: {
            summary: 'Heap leak suspected: the JS heap floor of task annotated keeps rising',
            description:
              'The JS heap floor (all V8 heap spaces) (what stays after major garbage collections) of task annotated ' +
              `of service web in cluster prod has been rising for more than 23m, by 100.0 MiB/h. ${heapPrediction}`,
            runbook: expectedRunbook('annotated', HEAP_MEANING),
          },
        },
        {
          kind: 'annotations',
          alert: EXHAUSTION,
          taskId: 'annotated',
          memory: 'heap',
          minute,
          annotations: {
            summary: 'Memory exhaustion predicted within 4h for task annotated (heap)',
            description:
              'The JS heap floor (all V8 heap spaces) of task annotated of service web in cluster prod grows by ' +
              `100.0 MiB/h. ${heapPrediction} When it gets there V8 aborts with "heap out of memory" or the ` +
              'container is OOM-killed.',
            runbook: expectedRunbook(
              'annotated',
              'a leak will crash this task within 4h.',
              'capture now, while there is headroom for a snapshot (it needs several times the heap in memory), ' +
                'then replace the task if it gets close. ',
            ),
          },
        },
      ],
    },
    {
      name: 'annotations of an external-memory leak (exact rendering)',
      durationMinutes: minute,
      tasks: [externalTask],
      expectations: [
        {
          kind: 'annotations',
          alert: LEAK,
          taskId: 'buffers',
          memory: 'external',
          minute,
          annotations: {
            summary:
              'Off-heap leak suspected: the external memory (Buffers, ArrayBuffers) of task buffers keeps rising',
            description:
              'The external memory floor (Buffers, ArrayBuffers and other memory V8 is told about) (what stays after ' +
              'major garbage collections) of task buffers of service web in cluster prod has been rising for more ' +
              'than 23m, by 100.0 MiB/h. At this rate the process reaches the container memory limit in 7.5 h.',
            runbook: expectedRunbook('buffers', EXTERNAL_MEANING),
          },
        },
      ],
    },
    {
      name: 'annotations of a native-memory leak (exact rendering)',
      durationMinutes: minute,
      tasks: [nativeTask],
      expectations: [
        {
          kind: 'annotations',
          alert: LEAK,
          taskId: 'native',
          memory: 'native',
          minute,
          annotations: {
            summary: 'Native memory leak suspected: task native keeps more memory outside the JS heap and its Buffers',
            description:
              'The native memory floor (resident memory beyond the JS heap and external memory) (what stays after ' +
              'major garbage collections) of task native of service web in cluster prod has been rising for more ' +
              'than 23m, by 100.0 MiB/h. At this rate the process reaches the container memory limit in 7.5 h.',
            runbook:
              `What it means: ${NATIVE_MEANING}\n` +
              'What to do: heap snapshots and profiles will not show this memory, so the collector does not capture ' +
              'for it. Compare with the previous deploy: the Node.js version (runtime leaks get fixed in patch ' +
              'releases: upgrade), native modules (npm ls for packages with a binding.gyp or .node files) and their ' +
              'versions, and the allocator: glibc malloc fragments under many threads (try MALLOC_ARENA_MAX=2, or ' +
              'jemalloc through LD_PRELOAD). Replace the task before it reaches the container limit.',
          },
        },
      ],
    },
    {
      name: 'annotations when no container limit is reported (exact rendering)',
      durationMinutes: minute,
      tasks: [{ ...heapTask, taskId: 'unlimited', containerLimitMiB: undefined }],
      expectations: [
        {
          kind: 'annotations',
          alert: LEAK,
          taskId: 'unlimited',
          memory: 'heap',
          minute,
          annotations: {
            summary: 'Heap leak suspected: the JS heap floor of task unlimited keeps rising',
            description:
              'The JS heap floor (all V8 heap spaces) (what stays after major garbage collections) of task unlimited ' +
              'of service web in cluster prod has been rising for more than 23m, by 100.0 MiB/h. At this rate the ' +
              'floor reaches the V8 heap limit in 2.1 h and the container memory limit at an unknown time (no limit ' +
              'reported).',
            runbook: expectedRunbook('unlimited', HEAP_MEANING),
          },
        },
      ],
    },
  ];
}

function expectedRunbook(taskId: string, meaning: string, whatToDoFirst = ''): string {
  return [
    `What it means: ${meaning}`,
    `What to do: ${whatToDoFirst}Take a series of heap snapshots of this task (the collector starts one on its own ` +
      'when this alert reaches it through the SNS topic), or start one by hand:',
    `  heapwatch capture --cluster prod --service web --task ${taskId}`,
    '  (with the collector state machine in $HEAPWATCH_STATE_MACHINE_ARN or --state-machine <arn>)',
    'Where the result appears: the snapshots and the leak report are written to the snapshot bucket under ' +
      `prod/web/${taskId}/ (report: prod/web/${taskId}/report.html), and the report is announced on the heapwatch ` +
      'report SNS topic with the suspects that grow and who retains them.',
  ].join('\n');
}

const HEAP_MEANING =
  'the memory this task keeps after each major GC grows steadily, past warm-up, which a traffic burst or a one-off ' +
  'cache fill does not do. Something retains objects it never releases (a cache without bound, listeners, ' +
  'closures). Other tasks of the service are probably leaking the same way.';
const EXTERNAL_MEANING =
  'the Buffers, ArrayBuffers or typed arrays this task keeps after each major GC grow steadily. Their bytes live ' +
  'outside the JS heap, but the JS objects that hold them are in it: a heap snapshot series names the holder (heap ' +
  'profiles do not see off-heap bytes).';
const NATIVE_MEANING =
  'the resident memory beyond the JS heap and external memory grows steadily while both stay flat: a leak in the ' +
  'Node.js runtime, a native addon or the memory allocator.';
