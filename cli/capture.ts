import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { captureStepToFiles } from '../collector/capture-step-to-files';
import { discoverTasks, longestRunningTask } from '../collector/discovery';
import { latestReportKey } from '../collector/series';
import { formatBytes } from '../collector/series-summary';
import { startSeriesOnce } from '../collector/start-series';
import type { CaptureProgress } from '../collector/verifying-stream';
import { requiredPrivateKey } from './private-key-env';

/** Where the command writes; the real process streams unless a test passes its own. */
export interface CaptureIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Record<string, string | undefined>;
}

interface CaptureCommandOptions {
  readonly cluster?: string;
  readonly service?: string;
  readonly task?: string;
  readonly count: string;
  readonly interval: string;
  readonly stateMachine?: string;
  readonly bucket?: string;
  readonly url?: string;
  readonly out: string;
}

/** `5m`, `90s`, `1h` or plain seconds → whole seconds. */
export function parseIntervalSeconds(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`--interval ${JSON.stringify(text)} is invalid: use e.g. 5m, 90s, 1h or seconds`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

export function registerCaptureCommand(program: Command, io: CaptureIo = process): void {
  program
    .command('capture')
    .description(
      'take heap profiles and snapshots: a series through the collector’s state machine, or one step directly from an agent',
    )
    .option('--cluster <name>', 'ECS cluster (series mode)')
    .option('--service <name>', 'ECS service (series mode)')
    .option('--task <id>', 'task ID; series mode picks the longest-running task when omitted')
    .option(
      '--count <n>',
      'steps in the series (a profile each; snapshots at the first, middle and last, when the task has room)',
      '3',
    )
    .option('--interval <duration>', 'time between steps, e.g. 5m', '5m')
    .option('--state-machine <arn>', 'the collector’s state machine (default $HEAPWATCH_STATE_MACHINE_ARN)')
    .option('--bucket <name>', 'the snapshot bucket, to print the report’s S3 URL (default $HEAPWATCH_BUCKET)')
    .option('--url <url>', 'direct mode: the agent’s admin server, e.g. http://127.0.0.1:9464 through a tunnel')
    .option('--out <dir>', 'direct mode: where the .heapprofile and .heapsnapshot files go', '.')
    .addHelpText(
      'after',
      '\nExamples:\n  heapwatch capture --cluster prod --service web --count 3 --interval 5m\n  HEAPWATCH_PRIVATE_KEY=… heapwatch capture --url http://127.0.0.1:9464 --task 0123abcd --out ./snapshots',
    )
    .action(async (options: CaptureCommandOptions) => {
      if (options.url !== undefined) await captureDirect(options, io);
      else await startSeries(options, io);
    });
}

async function captureDirect(options: CaptureCommandOptions, io: CaptureIo): Promise<void> {
  if (options.cluster !== undefined || options.service !== undefined) {
    throw new Error('--url captures one step directly: drop --cluster/--service, or drop --url to start a series');
  }
  if (options.task === undefined) throw new Error('--url needs --task <id>: tokens are bound to the agent’s task ID');
  const privateKey = requiredPrivateKey(io.env);
  const bar = progressBar(io.stderr);
  const step = await captureStepToFiles(
    {
      url: options.url ?? '',
      taskId: options.task,
      privateKey,
      outDir: options.out,
    },
    bar.update,
  );
  bar.done();
  for (const refusal of step.refusals) {
    io.stderr.write(`no ${refusal.kind === 'heapprofile' ? 'heap profile' : 'snapshot'}: ${refusal.message}\n`);
  }
  for (const [what, saved] of [
    ['heap profile', step.profile],
    ['snapshot', step.snapshot],
  ] as const) {
    if (!saved) continue;
    io.stderr.write(`saved ${what} ${formatBytes(saved.bytes)}, sha256 ${saved.sha256}\n`);
    io.stdout.write(`${saved.path}\n`);
  }
}

async function startSeries(options: CaptureCommandOptions, io: CaptureIo): Promise<void> {
  if (options.cluster === undefined || options.service === undefined) {
    throw new Error('give --cluster and --service to start a series, or --url and --task to capture directly');
  }
  const stateMachineArn = options.stateMachine ?? io.env.HEAPWATCH_STATE_MACHINE_ARN;
  if (!stateMachineArn) {
    throw new Error('no state machine: pass --state-machine <arn> or set HEAPWATCH_STATE_MACHINE_ARN (a stack output)');
  }
  const region = /^arn:aws[\w-]*:states:([a-z0-9-]+):/.exec(stateMachineArn)?.[1];
  if (region === undefined)
    throw new Error(`--state-machine ${JSON.stringify(stateMachineArn)} is not a state machine ARN`);
  const count = Number(options.count);
  const intervalSeconds = parseIntervalSeconds(options.interval);
  const task = longestRunningTask(
    await discoverTasks({
      ecs: new ECSClient({ region }),
      cluster: options.cluster,
      service: options.service,
      taskIds: options.task === undefined ? undefined : [options.task],
    }),
  );
  const result = await startSeriesOnce({
    sfn: new SFNClient({ region }),
    stateMachineArn,
    request: {
      cluster: options.cluster,
      service: options.service,
      taskId: task.taskId,
      count,
      intervalSeconds,
      reason: 'manual',
    },
    windowSeconds: 1,
  });
  if (!result.started) throw new Error(`not started: ${result.why}`);
  const bucket = options.bucket ?? io.env.HEAPWATCH_BUCKET;
  // The series names its report folder when its first step runs; the pointer names the newest one.
  const key = latestReportKey(options.cluster, options.service, task.taskId);
  const minutes = Math.ceil(((count - 1) * intervalSeconds) / 60);
  io.stdout.write(
    [
      `started ${result.name}: ${count} steps (a heap profile each, snapshots at the first, middle and last when the task has room) of task ${task.taskId} (${task.privateIp}), ${options.interval} apart`,
      `execution: ${result.executionArn}`,
      `report in about ${minutes + 2} min, named by ${bucket ? `s3://${bucket}/${key}` : `<snapshot bucket>/${key}`}`,
      `follow:    aws stepfunctions describe-execution --execution-arn ${result.executionArn}`,
      '',
    ].join('\n'),
  );
}

/** A one-line bar on a terminal, a line every 10 % otherwise. */
function progressBar(stderr: CaptureIo['stderr']): { update: (progress: CaptureProgress) => void; done: () => void } {
  let shownTenths = -1;
  let lastDraw = 0;
  return {
    update: ({ bytes, totalBytes }) => {
      const fraction = totalBytes > 0 ? bytes / totalBytes : 0;
      if (stderr.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && bytes < totalBytes) return;
        lastDraw = now;
        const filled = Math.round(fraction * 30);
        stderr.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(bytes)} / ${formatBytes(totalBytes)}`,
        );
      } else if (Math.floor(fraction * 10) > shownTenths) {
        shownTenths = Math.floor(fraction * 10);
        stderr.write(`${shownTenths * 10}% ${formatBytes(bytes)} / ${formatBytes(totalBytes)}\n`);
      }
    },
    done: () => {
      if (stderr.isTTY) stderr.write('\n');
    },
  };
}
