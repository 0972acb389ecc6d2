/**
 * Measures when the committed rules page for every leak of the promtool scenarios: `npm run rules:detection-times`.
 * Runs promtool on the generated series and reads, per leak, the first minute each alert fired.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ARTIFACT_PATHS } from '../../artifacts';
import { ALERT_NAMES, RULE_GROUP_NAME } from '../build-rules';
import { type LeakTruth, SCENARIO_LABELS, type Scenario, scenarios } from './scenarios';
import { taskSeries } from './task-series';

export interface DetectionTime {
  readonly leak: LeakTruth;
  /** Minutes from the leak's onset to `HeapwatchLeakSuspected` firing; undefined when it never fired. */
  readonly pagedAfterMinutes?: number;
  /** Hours before the limit at which `HeapwatchHeapExhaustionPredicted` fired; undefined when it never fired. */
  readonly predictedHoursAhead?: number;
}

const ALERTS_MEASURED = [ALERT_NAMES.leakSuspected, ALERT_NAMES.exhaustionPredicted] as const;

/** First firing minute of each measured alert for each leak of the scenarios, through `promtool test rules`. */
export async function measureDetectionTimes(rulesFile: string): Promise<DetectionTime[]> {
  const directory = mkdtempSync(path.join(tmpdir(), 'heapwatch-detection-'));
  try {
    const measured = scenarios().filter((scenario) => (scenario.leaks ?? []).length > 0);
    const testFile = path.join(directory, 'detection.test.yml');
    writeFileSync(testFile, renderMeasurement(rulesFile, measured));
    const output = await promtoolOutput(testFile);
    const firstFiring = parseFirstFiring(output);
    return measured.flatMap((scenario) =>
      (scenario.leaks ?? []).map((leak) => {
        const paged = firstFiring.get(`${ALERT_NAMES.leakSuspected}/${leak.taskId}`);
        const predicted = firstFiring.get(`${ALERT_NAMES.exhaustionPredicted}/${leak.taskId}`);
        return {
          leak,
          pagedAfterMinutes: paged === undefined ? undefined : paged - leak.onsetMinute,
          predictedHoursAhead: predicted === undefined ? undefined : (leak.exhaustedAtMinute - predicted) / 60,
        };
      }),
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Asks for the earliest firing timestamp of each alert per leak, expecting none: promtool prints what it got. */
function renderMeasurement(rulesFile: string, measured: readonly Scenario[]): string {
  const tests = measured.map((scenario) => ({
    name: scenario.name,
    interval: '1m',
    input_series: scenario.tasks.flatMap((task) => taskSeries(task, SCENARIO_LABELS, scenario.durationMinutes)),
    promql_expr_test: (scenario.leaks ?? []).flatMap((leak) =>
      ALERTS_MEASURED.map((alert) => ({
        expr:
          `label_replace(min_over_time(timestamp(ALERTS{alertname="${alert}",alertstate="firing",` +
          `task_id="${leak.taskId}"})[${scenario.durationMinutes}m:1m]) / 60, "measured", "${alert}/${leak.taskId}", "", "")`,
        eval_time: `${scenario.durationMinutes}m`,
        exp_samples: [],
      })),
    ),
  }));
  return stringify(
    { rule_files: [rulesFile], evaluation_interval: '1m', group_eval_order: [RULE_GROUP_NAME], tests },
    { lineWidth: 0 },
  );
}

async function promtoolOutput(testFile: string): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)('promtool', ['test', 'rules', testFile], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return `${failure.stdout ?? ''}${failure.stderr ?? ''}`;
  }
}

function parseFirstFiring(output: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const match of output.matchAll(/measured="([^"]+)"[^}]*\} ([0-9.eE+-]+)/g)) {
    found.set(match[1], Math.round(Number(match[2])));
  }
  return found;
}

function formatMinutes(value: number | undefined): string {
  return value === undefined ? 'never' : `${value} min`;
}

function formatHours(value: number | undefined): string {
  return value === undefined ? 'never' : `${value.toFixed(1)} h`;
}

if (require.main === module) {
  measureDetectionTimes(ARTIFACT_PATHS.rules).then((times) => {
    console.log('| leak | memory | major GC every | paged after onset | exhaustion predicted ahead |');
    console.log('|---|---|---|---|---|');
    for (const { leak, pagedAfterMinutes, predictedHoursAhead } of times) {
      console.log(
        `| ${leak.kind} | ${leak.memory} | ${leak.gcPeriodMinutes} min | ${formatMinutes(pagedAfterMinutes)} | ` +
          `${formatHours(predictedHoursAhead)} |`,
      );
    }
  });
}
