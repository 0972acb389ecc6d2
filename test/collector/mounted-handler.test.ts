import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { createAdminRequestHandler } from '@heapwatch/agent';
import { mockClient } from 'aws-sdk-client-mock';
import { captureToFile } from '../../collector/capture-to-file';
import type { SeriesState } from '../../collector/series';
import { captureNextStep } from '../../collector/series-steps';
import { staticSigningKeySource } from '../../collector/signing-key-source';
import { fargateTask } from '../support/ecs-task';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';
import { TEST_KEYS } from '../support/test-keys';

const TASK_ID = 'ba5eba11ba5eba11ba5eba11ba5eba11';
const ecsMock = mockClient(ECSClient);

describe('capturing from handlers mounted under a prefix', () => {
  let server: Server;
  let port: number;
  let outDir: string;
  let s3: LoopbackS3;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'heapwatch-mounted-'));
    s3 = await startLoopbackS3();
    const heapwatch = createAdminRequestHandler({
      pathPrefix: '/_heapwatch',
      publicKeys: [TEST_KEYS.publicKey],
      taskId: TASK_ID,
      // This handler runs in the test's own process: profiles only, a snapshot of jest is not wanted.
      captureMemoryFactor: 1e9,
      logger: { info: () => undefined, warn: () => undefined },
    });
    server = createServer((req, res) => heapwatch(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await s3?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  it('posts to <prefix>/heap/profile when the agent URL carries the prefix (CLI, drill)', async () => {
    const saved = await captureToFile({
      url: `http://127.0.0.1:${port}/_heapwatch`,
      taskId: TASK_ID,
      privateKey: TEST_KEYS.privateKey,
      outDir,
      kind: 'heapprofile',
    });
    expect(JSON.parse(await readFile(saved.path, 'utf8'))).toHaveProperty('head');
  });

  it('takes a series step at the task IP, the tagged admin port and the tagged path (the collector)', async () => {
    // Prepare: what discovery put in the state from the service's tags
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [fargateTask(TASK_ID, '127.0.0.1')] });
    const state: SeriesState = {
      cluster: 'prod',
      service: 'web',
      taskId: TASK_ID,
      adminPort: port,
      adminPath: '/_heapwatch',
      count: 2,
      intervalSeconds: 60,
      reason: 'manual',
      startedAt: '2026-12-06T08:00:00.000Z',
      captured: 0,
      snapshots: [],
      profiles: [],
      skippedSnapshots: [],
    };

    // Act
    const next = await captureNextStep(state, {
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
    });

    // Assess
    expect(next.profiles).toHaveLength(1);
    expect(next.skippedSnapshots).toEqual([expect.objectContaining({ reason: 'insufficient-memory' })]);
    expect(await s3.listKeys(`prod/web/${TASK_ID}/`)).toEqual([next.profiles[0].key]);
  });
});
