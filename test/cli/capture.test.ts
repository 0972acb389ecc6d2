import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { type CaptureIo, parseIntervalSeconds, registerCaptureCommand } from '../../cli/capture';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { fargateTask } from '../support/ecs-task';
import { simulateStepFunctions } from '../support/simulated-step-functions';
import { TEST_KEYS } from '../support/test-keys';

const TASK_ID = 'c0ffeec0ffeec0ffeec0ffeec0ffee00';
const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:heapwatch-series';

function recordingIo(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CaptureIo = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text), isTTY: false },
    env,
  };
  return { io, out, err };
}

async function run(io: CaptureIo, args: string[]): Promise<void> {
  const program = new Command('heapwatch').exitOverride();
  registerCaptureCommand(program, io);
  await program.parseAsync(['node', 'heapwatch', 'capture', ...args]);
}

describe('heapwatch capture --url (direct)', () => {
  let agent: AgentProcess;
  let outDir: string;
  beforeAll(async () => {
    [agent, outDir] = await Promise.all([
      startAgentProcess({ taskId: TASK_ID }),
      mkdtemp(join(tmpdir(), 'heapwatch-cli-')),
    ]);
  });
  afterAll(async () => {
    await agent?.kill();
    await rm(outDir, { recursive: true, force: true });
  });

  test('saves a verified heap profile and snapshot named after the task, prints their paths, shows progress', async () => {
    // Prepare
    const { io, out, err } = recordingIo({ HEAPWATCH_PRIVATE_KEY: TEST_KEYS.privateKey });

    // Act
    await run(io, ['--url', agent.url, '--task', TASK_ID, '--out', outDir]);

    // Assess
    const files = (await readdir(outDir)).sort();
    const name = (kind: string) =>
      new RegExp(`^${TASK_ID}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z\\.${kind}$`);
    expect(files).toEqual([expect.stringMatching(name('heapprofile')), expect.stringMatching(name('heapsnapshot'))]);
    expect(out).toEqual(files.map((file) => `${join(outDir, file)}\n`));
    expect(err.join('')).toMatch(
      /^0% .*\n(.*\n)*100% .*\nsaved heap profile .* sha256 [0-9a-f]{64}\nsaved snapshot .* sha256 [0-9a-f]{64}\n$/,
    );
    for (const file of files) {
      const sha256 = createHash('sha256')
        .update(await readFile(join(outDir, file)))
        .digest('hex');
      expect(err.join('')).toContain(sha256);
    }
    const profile = JSON.parse(await readFile(join(outDir, files[0]), 'utf8')) as { head: unknown; samples: unknown[] };
    expect(profile.head).toBeDefined();
  });

  test('still saves the heap profile when the agent has no room for a snapshot, and says why', async () => {
    // Prepare
    const refusing = await startAgentProcess({ taskId: TASK_ID, captureMemoryFactor: 1e9 });
    const dir = await mkdtemp(join(tmpdir(), 'heapwatch-cli-refused-'));
    const { io, out, err } = recordingIo({ HEAPWATCH_PRIVATE_KEY: TEST_KEYS.privateKey });
    try {
      // Act
      await run(io, ['--url', refusing.url, '--task', TASK_ID, '--out', dir]);
      // Assess
      const files = await readdir(dir);
      expect(files).toEqual([expect.stringMatching(/\.heapprofile$/)]);
      expect(out).toEqual([`${join(dir, files[0])}\n`]);
      expect(err.join('')).toMatch(/no snapshot: .*not enough memory headroom/);
    } finally {
      await refusing.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('refuses without HEAPWATCH_PRIVATE_KEY or without --task', async () => {
    await expect(run(recordingIo({}).io, ['--url', agent.url, '--task', TASK_ID])).rejects.toThrow(
      /HEAPWATCH_PRIVATE_KEY is not set/,
    );
    await expect(
      run(recordingIo({ HEAPWATCH_PRIVATE_KEY: TEST_KEYS.privateKey }).io, ['--url', agent.url]),
    ).rejects.toThrow(/--url needs --task/);
  });
});

describe('heapwatch capture --cluster --service (series)', () => {
  const ecsMock = mockClient(ECSClient);
  afterAll(() => ecsMock.restore());

  test('starts the state machine for the longest-running task and prints where the report will be', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    ecsMock.on(ListTasksCommand).resolves({
      taskArns: ['arn:aws:ecs:eu-west-1:1:task/prod/new', `arn:aws:ecs:eu-west-1:1:task/prod/${TASK_ID}`],
    });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: ['new', TASK_ID].map((id, index) =>
        fargateTask(id, '10.0.3.4', {
          taskArn: `arn:aws:ecs:eu-west-1:1:task/prod/${id}`,
          startedAt: new Date(index === 0 ? '2026-11-27T00:00:00Z' : '2026-11-20T00:00:00Z'),
        }),
      ),
    });
    const { io, out } = recordingIo({
      HEAPWATCH_STATE_MACHINE_ARN: STATE_MACHINE,
      HEAPWATCH_BUCKET: 'snapshots-bucket',
    });

    // Act
    await run(io, ['--cluster', 'prod', '--service', 'web', '--count', '4', '--interval', '2m']);

    // Assess
    const [execution] = sfn.executions.values();
    expect(JSON.parse(execution.input)).toMatchObject({
      taskId: TASK_ID,
      count: 4,
      intervalSeconds: 120,
      reason: 'manual',
    });
    expect(out.join('')).toContain(
      `report in about 8 min, named by s3://snapshots-bucket/prod/web/${TASK_ID}/latest-report.json`,
    );
    expect(out.join('')).toContain(`execution: ${execution.arn}`);
    sfn.mock.restore();
  });

  test('names the missing state machine', async () => {
    await expect(run(recordingIo({}).io, ['--cluster', 'prod', '--service', 'web'])).rejects.toThrow(
      /pass --state-machine <arn> or set HEAPWATCH_STATE_MACHINE_ARN/,
    );
  });
});

describe('parseIntervalSeconds', () => {
  test.each([
    ['5m', 300],
    ['90s', 90],
    ['1h', 3600],
    ['42', 42],
  ])('%s is %i s', (text, seconds) => expect(parseIntervalSeconds(text)).toBe(seconds));
  test('rejects 5 minutes', () =>
    expect(() => parseIntervalSeconds('5 minutes')).toThrow(/--interval "5 minutes" is invalid/));
});
