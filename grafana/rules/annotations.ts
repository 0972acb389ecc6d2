import {
  FLOOR_SELECTOR_TEMPLATE,
  FLOOR_SELECTOR_TEMPLATE_ARGS,
  type MemoryKind,
  type MemoryLimitKind,
  RECORDED,
  TASK_LABELS,
} from '../queries';

/** Go-template snippets for alert annotations; they read the recorded concepts of the alert's own task and floor. */

function floorValueTemplate(recordedSelector: string, scale: string, format: string, fallback: string): string {
  const query = `${recordedSelector} ${scale}`;
  return (
    `{{ with printf \`${query}\` ${FLOOR_SELECTOR_TEMPLATE_ARGS} | query }}` +
    `{{ . | first | value | printf "${format}" }}{{ else }}${fallback}{{ end }}`
  );
}

const MIB = 1_048_576;

export const TASK = '{{ $labels.task_id }}';
export const MEMORY = '{{ $labels.memory }}';
const SERVICE = '{{ $labels.service }}';
const CLUSTER = '{{ $labels.cluster }}';

export const TASK_PHRASE = `task ${TASK} of service ${SERVICE} in cluster ${CLUSTER}`;

/** One text per value of the alert's `memory` label (`heap` also for an alert without one). */
export function byMemoryKind(texts: Readonly<Record<MemoryKind, string>>): string {
  return (
    `{{ if eq $labels.memory "external" }}${texts.external}` +
    `{{ else if eq $labels.memory "native" }}${texts.native}` +
    `{{ else }}${texts.heap}{{ end }}`
  );
}

/** What the alert's floor is, e.g. "JS heap floor". */
export const FLOOR_PHRASE = byMemoryKind({
  heap: 'JS heap floor (all V8 heap spaces)',
  external: 'external memory floor (Buffers, ArrayBuffers and other memory V8 is told about)',
  native: 'native memory floor (resident memory beyond the JS heap and external memory)',
});

/** The floor's growth rate of the alert's task, in MiB per hour with one decimal. */
export const GROWTH_MIB_PER_HOUR = floorValueTemplate(
  `${RECORDED.memoryFloorGrowth}${FLOOR_SELECTOR_TEMPLATE}`,
  `* 3600 / ${MIB}`,
  '%.1f MiB/h',
  'unknown',
);

/** Predicted hours until the floor reaches the given limit (`+Inf` when not growing). */
export function hoursToLimit(limit: MemoryLimitKind): string {
  const selector = FLOOR_SELECTOR_TEMPLATE.replace('{', `{limit="${limit}",`);
  return floorValueTemplate(
    `${RECORDED.timeToLimit}${selector}`,
    '/ 3600',
    'in %.1f h',
    'at an unknown time (no limit reported)',
  );
}

/** V8's heap limit bounds the JS heap only; external and native memory run into the container's limit alone. */
export const PREDICTION_PHRASE = byMemoryKind({
  heap:
    `At this rate the floor reaches the V8 heap limit ${hoursToLimit('heap')} ` +
    `and the container memory limit ${hoursToLimit('container')}.`,
  external: `At this rate the process reaches the container memory limit ${hoursToLimit('container')}.`,
  native: `At this rate the process reaches the container memory limit ${hoursToLimit('container')}.`,
});

const CAPTURE_STEP =
  'Take a series of heap snapshots of this task (the collector starts one on its own when this alert reaches it ' +
  'through the SNS topic), or start one by hand:\n' +
  `  heapwatch capture ${TASK_LABELS.map((label) => `--${label === 'task_id' ? 'task' : label} {{ $labels.${label} }}`).join(' ')}\n` +
  '  (with the collector state machine in $HEAPWATCH_STATE_MACHINE_ARN or --state-machine <arn>)\n' +
  'Where the result appears: the snapshots and the leak report are written to the snapshot bucket under ' +
  `${CLUSTER}/${SERVICE}/${TASK}/ (report: ${CLUSTER}/${SERVICE}/${TASK}/report.html), and the report ` +
  'is announced on the heapwatch report SNS topic with the suspects that grow and who retains them.';

const NATIVE_STEPS =
  'heap snapshots and profiles will not show this memory, so the collector does not capture for it. Compare ' +
  'with the previous deploy: the Node.js version (runtime leaks get fixed in patch releases: upgrade), native ' +
  'modules (npm ls for packages with a binding.gyp or .node files) and their versions, and the allocator: glibc ' +
  'malloc fragments under many threads (try MALLOC_ARENA_MAX=2, or jemalloc through LD_PRELOAD). Replace the task ' +
  'before it reaches the container limit.';

function runbookText(meaning: string, whatToDo: string): string {
  return `What it means: ${meaning}\nWhat to do: ${whatToDo}`;
}

/** What the leak alert means for each kind of memory, and what to do about it. */
export function leakRunbook(): string {
  return byMemoryKind({
    heap: runbookText(
      'the memory this task keeps after each major GC grows steadily, past warm-up, which a traffic burst or a ' +
        'one-off cache fill does not do. Something retains objects it never releases (a cache without bound, ' +
        'listeners, closures). Other tasks of the service are probably leaking the same way.',
      CAPTURE_STEP,
    ),
    external: runbookText(
      'the Buffers, ArrayBuffers or typed arrays this task keeps after each major GC grow steadily. Their bytes ' +
        'live outside the JS heap, but the JS objects that hold them are in it: a heap snapshot series names the ' +
        'holder (heap profiles do not see off-heap bytes).',
      CAPTURE_STEP,
    ),
    native: runbookText(
      'the resident memory beyond the JS heap and external memory grows steadily while both stay flat: a leak in ' +
        'the Node.js runtime, a native addon or the memory allocator.',
      NATIVE_STEPS,
    ),
  });
}

export function exhaustionRunbook(horizon: string): string {
  return byMemoryKind({
    heap: runbookText(
      `a leak will crash this task within ${horizon}.`,
      'capture now, while there is headroom for a snapshot (it needs several times the heap in memory), then ' +
        `replace the task if it gets close. ${CAPTURE_STEP}`,
    ),
    external: runbookText(
      `retained Buffers will get this task OOM-killed within ${horizon}.`,
      'capture now, while there is headroom for a snapshot (it needs several times the heap in memory), then ' +
        `replace the task if it gets close. ${CAPTURE_STEP}`,
    ),
    native: runbookText(`native memory growth will get this task OOM-killed within ${horizon}.`, NATIVE_STEPS),
  });
}

export function agentDownRunbook(): string {
  return runbookText(
    'Prometheus reaches the task (ECS lists it as running) but its heapwatch agent does not answer /metrics: the ' +
      'process may be stuck (a blocked event loop; a heap snapshot of a very large heap freezes it for seconds to ' +
      'minutes), restarting, or the admin port is not reachable (HEAPWATCH_ADMIN_PORT, the security group from the ' +
      'Prometheus scraper, the agent not started in the service code).',
    'check the task in the ECS console (health, restarts, stopped reason) and its logs for "heapwatch"; from inside ' +
      `the VPC, curl http://<task ip>:<admin port>/healthz. Heap alerts for ${TASK} stay silent until the agent answers.`,
  );
}
