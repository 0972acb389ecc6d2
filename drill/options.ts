import { parseArgs } from 'node:util';

export interface DrillOptions {
  readonly leak: string;
  /** Seconds of load before capturing when the leak alert has not fired. */
  readonly durationSeconds: number;
  /** Requests per load round (the incident's `ab -n`). */
  readonly requestsPerRound: number;
  readonly connections: number;
  readonly outDir: string;
  readonly json: boolean;
  /** A short run that may end its wait before the alert fires: it says so and captures anyway, instead of failing. */
  readonly quick: boolean;
  /** Run the demo as if in a task with this memory limit (MiB); the agent then refuses snapshots it has no room for. */
  readonly taskMemoryMiB?: number;
}

export const DRILL_USAGE = `usage: npm run drill -- [--leak none|memoize|…] [--duration 120] [--requests 5000] [--connections 50]
                       [--out drill-report] [--json] [--quick] [--task-memory 512]
  --leak         which leak the demo service runs (default memoize)
  --duration     seconds of load before capturing if the leak alert has not fired (default 120)
  --requests     requests per load round, like ab -n (default 5000)
  --connections  concurrent keep-alive connections, like ab -c (default 50)
  --out          report folder (default drill-report)
  --json         print the final report JSON on stdout (progress stays on stderr)
  --quick        a short drill: --duration 45 --requests 2000; if the alert has not fired by then it says so and
                 captures anyway (without --quick a leak that does not page fails the drill)
  --task-memory  run the demo as if in a task with this much memory (MiB): snapshots that would not fit are
                 refused by the agent, and the culprit is named from heap profiles alone`;

function positiveInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`--${name} ${value} is invalid: give a positive whole number`);
  return parsed;
}

export function parseDrillOptions(argv: readonly string[], knownLeaks: readonly string[]): DrillOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      leak: { type: 'string', default: 'memoize' },
      duration: { type: 'string' },
      requests: { type: 'string' },
      connections: { type: 'string', default: '50' },
      out: { type: 'string', default: 'drill-report' },
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'task-memory': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (!knownLeaks.includes(values.leak)) {
    throw new Error(`--leak ${values.leak} is unknown: choose one of ${knownLeaks.join(', ')}`);
  }
  return {
    leak: values.leak,
    durationSeconds: positiveInteger('duration', values.duration ?? (values.quick ? '45' : '120')),
    requestsPerRound: positiveInteger('requests', values.requests ?? (values.quick ? '2000' : '5000')),
    connections: positiveInteger('connections', values.connections),
    outDir: values.out,
    json: values.json,
    quick: values.quick,
    taskMemoryMiB:
      values['task-memory'] === undefined ? undefined : positiveInteger('task-memory', values['task-memory']),
  };
}
