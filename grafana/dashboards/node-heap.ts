import {
  AnnotationQueryBuilder,
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { earliestTimeToLimitExpr, panelQueries, RECORDED, TASK_LABELS } from '../queries';
import { PRODUCTION_RULE_WINDOWS } from '../rules/build-rules';
import { durationSeconds } from '../rules/durations';
import { withIdsAndRefIds } from './finalize';
import { PROMETHEUS, statPanel, timeseriesPanel } from './panels';

export const NODE_HEAP_DASHBOARD_UID = 'heapwatch-node-heap';

/** Label matchers for the tasks picked in the cluster / service / task_id variables. */
export const TASK_VARIABLE_SELECTOR = TASK_LABELS.map((label) => `${label}=~"$${label}"`).join(', ');

/** Grafana's own variable for a range that always spans a few scrapes. */
export const RATE_INTERVAL_VARIABLE = '$__rate_interval';

const VARIABLE_SOURCE_METRIC = 'nodejs_heap_size_used_bytes';

function taskVariable(label: (typeof TASK_LABELS)[number], narrowedBy: readonly string[]) {
  const matchers = narrowedBy.map((outer) => `${outer}=~"$${outer}"`).join(', ');
  const query = `label_values(${VARIABLE_SOURCE_METRIC}${matchers ? `{${matchers}}` : ''}, ${label})`;
  return new QueryVariableBuilder(label)
    .label(label)
    .datasource(PROMETHEUS)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

/** "Node.js heap (heapwatch)": per-task heap spaces, the post-GC floor, its growth and the predicted exhaustion. */
export function buildNodeHeapDashboard(): Dashboard {
  const selector = TASK_VARIABLE_SELECTOR;
  const recorded = (record: string) => panelQueries.recorded(record, selector);
  const horizonSeconds = durationSeconds('exhaustionHorizon', PRODUCTION_RULE_WINDOWS.exhaustionHorizon);

  const builder = new DashboardBuilder('Node.js heap (heapwatch)')
    .uid(NODE_HEAP_DASHBOARD_UID)
    .description('Heap of Node.js tasks instrumented with the heapwatch agent; alerts from the heapwatch rules.')
    .tags(['heapwatch', 'nodejs', 'memory'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withVariable(taskVariable('cluster', []))
    .withVariable(taskVariable('service', ['cluster']))
    .withVariable(taskVariable('task_id', ['cluster', 'service']))
    .annotation(
      new AnnotationQueryBuilder()
        .name('heapwatch alerts')
        .datasource(PROMETHEUS)
        .enable(true)
        .iconColor('red')
        .expr(panelQueries.heapwatchAlerts(selector))
        .titleFormat('{{alertname}} ({{alertstate}})')
        .textFormat('task {{task_id}} of {{service}} in {{cluster}}')
        .tagKeys('severity,task_id')
        .step('1m'),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Heap space used by space, per task',
        description:
          'V8 heap spaces. The old space holds what survived several GCs: a leak shows there, as a sawtooth whose ' +
          'lows keep rising. The new space churns with every request.',
        unit: 'bytes',
        queries: [{ expr: panelQueries.heapSpaceUsed(selector), legend: '{{task_id}} {{space}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Memory floors: what stays after major GCs',
        description:
          'Measured by the agent right after each major GC and held until the next: the JS heap (all spaces), ' +
          'external memory (Buffers, ArrayBuffers) and native memory (the rest of the resident set). Unlike the ' +
          'sawtooth of heap used, a floor only rises when memory is retained; the leak alert watches these.',
        unit: 'bytes',
        queries: [{ expr: recorded(RECORDED.memoryFloor), legend: '{{task_id}} {{memory}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Heap spaces after the last major GC',
        description:
          'Used bytes of each V8 heap space after the last major GC. A leak of many small objects grows old ' +
          'space; big arrays and long strings grow large-object space.',
        unit: 'bytes',
        queries: [{ expr: panelQueries.heapSpaceAfterGc(selector), legend: '{{task_id}} {{space}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Off-heap memory after the last major GC',
        description:
          'External memory (includes ArrayBuffers), ArrayBuffers alone, and the resident set, read right after the ' +
          'last major GC.',
        unit: 'bytes',
        queries: [{ expr: panelQueries.memoryAfterGc(selector), legend: '{{task_id}} {{type}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Floor growth rate',
        description: `Least-squares slope of each floor over ${PRODUCTION_RULE_WINDOWS.growthWindow}.`,
        unit: 'Bps',
        queries: [{ expr: recorded(RECORDED.memoryFloorGrowth), legend: '{{task_id}} {{memory}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Predicted time until a floor reaches a limit',
        description:
          'At the current growth rate: until the heap floor reaches the V8 heap limit, and until the process fills ' +
          `the container memory limit. Below ${PRODUCTION_RULE_WINDOWS.exhaustionHorizon} the critical alert fires. ` +
          'Empty (infinite) while the floor does not grow.',
        unit: 's',
        queries: [{ expr: recorded(RECORDED.timeToLimit), legend: '{{task_id}} {{memory}} to {{limit}} limit' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Agents answering scrapes',
        description:
          'Tasks whose heapwatch agent answered the last scrape, out of the running tasks Prometheus discovered. ' +
          'A task missing here for 5 min fires HeapwatchAgentDown: no heap alert can fire for it meanwhile.',
        unit: 'short',
        queries: [
          { expr: panelQueries.agentsUp(selector), legend: '{{service}} answering' },
          { expr: panelQueries.agentsDiscovered(selector), legend: '{{service}} running' },
        ],
      }),
    )
    .withPanel(
      statPanel(
        {
          title: 'Earliest predicted exhaustion',
          description: 'The shortest predicted time to a limit among the selected tasks.',
          unit: 's',
          width: 6,
          queries: [{ expr: `min(${earliestTimeToLimitExpr(selector)})`, legend: 'earliest' }],
        },
        new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: 'red' },
          { value: horizonSeconds, color: 'orange' },
          { value: 6 * horizonSeconds, color: 'green' },
        ]),
      ),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Tasks started in the last 10 min',
        description: 'Deploys, scaling and crash restarts: each new task warms up before its floor means anything.',
        unit: 'short',
        width: 18,
        queries: [
          {
            expr: `sum by (cluster, service) (${recorded(RECORDED.taskUptime)} < bool 600)`,
            legend: '{{service}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Heap used vs V8 heap limit vs container memory limit',
        description:
          'V8 aborts with "heap out of memory" at its heap limit; the kernel kills the container at its memory limit ' +
          '(absent when the container is unlimited).',
        unit: 'bytes',
        queries: [
          { expr: panelQueries.heapUsed(selector), legend: '{{task_id}} heap used' },
          { expr: panelQueries.heapLimit(selector), legend: '{{task_id}} V8 heap limit' },
          { expr: panelQueries.containerLimit(selector), legend: '{{task_id}} container limit' },
          { expr: panelQueries.containerUsage(selector), legend: '{{task_id}} container usage' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Resident and external memory',
        description: 'RSS of the process and memory of C++ objects bound to JavaScript (Buffers, native addons).',
        unit: 'bytes',
        queries: [
          { expr: panelQueries.residentMemory(selector), legend: '{{task_id}} RSS' },
          { expr: panelQueries.externalMemory(selector), legend: '{{task_id}} external' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'GC pause time by kind',
        description:
          'Share of wall time spent in GC pauses. Rising major (mark-sweep-compact) time follows a growing heap.',
        unit: 'percentunit',
        queries: [{ expr: panelQueries.gcPauseRate(selector, RATE_INTERVAL_VARIABLE), legend: '{{task_id}} {{kind}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Event-loop lag',
        description: 'A leaking heap costs GC time and delays the event loop; a snapshot capture freezes it.',
        unit: 's',
        queries: [
          { expr: panelQueries.eventLoopLag(selector), legend: '{{task_id}} lag' },
          { expr: panelQueries.eventLoopLagP99(selector), legend: '{{task_id}} p99' },
        ],
      }),
    );
  return withIdsAndRefIds(builder.build());
}
