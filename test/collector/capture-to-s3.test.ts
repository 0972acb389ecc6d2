import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { finished } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { signToken } from '@heapwatch/agent/protocol';
import { CaptureError } from '../../collector/capture-error';
import { captureToS3 } from '../../collector/capture-to-s3';
import { staticSecretSource } from '../../collector/secret-source';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { startFaultyProxy } from '../support/faulty-proxy';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';

const SECRET = 'collector-test-secret-0123456789abcdef';
const OLD_SECRET = 'collector-old-secret-0123456789abcdef';
const TASK_ID = '0123456789abcdef0123456789abcdef';
const MiB = 1024 * 1024;

describe('captureToS3', () => {
  let s3: LoopbackS3;
  let agent: AgentProcess;

  beforeAll(async () => {
    [s3, agent] = await Promise.all([startLoopbackS3(), startAgentProcess({ secret: SECRET, taskId: TASK_ID })]);
  });
  afterAll(async () => {
    await agent?.kill();
    await s3?.close();
  });

  const baseOptions = () => ({
    s3: s3.client,
    bucket: s3.bucket,
    cluster: 'prod',
    service: 'web',
    taskId: TASK_ID,
    url: agent.url,
    secrets: staticSecretSource({ current: SECRET }),
  });

  test('streams a verified snapshot into S3 under the task prefix with task, size and sha256 metadata', async () => {
    // Act
    const stored = await captureToS3({ ...baseOptions(), now: () => new Date('2026-11-27T01:02:03.456Z') });

    // Assess
    expect(stored.key).toBe(`prod/web/${TASK_ID}/2026-11-27T01-02-03.456Z.heapsnapshot`);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.key }));
    expect(head.Metadata).toMatchObject({ 'task-id': TASK_ID, size: String(stored.bytes), sha256: stored.sha256 });
    const body = await (
      await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: stored.key }))
    ).Body!.transformToByteArray();
    expect(createHash('sha256').update(body).digest('hex')).toBe(stored.sha256);
    expect(JSON.parse(Buffer.from(body).toString('utf8')).snapshot.meta.node_fields).toContain('name');
  });

  test('retries a 401 bad-signature once with the previous secret during a rotation', async () => {
    // Prepare: the secret was rotated in Secrets Manager, the task still runs with the old one
    const rotatedAgent = await startAgentProcess({ secret: OLD_SECRET, taskId: TASK_ID });
    try {
      // Act
      const stored = await captureToS3({
        ...baseOptions(),
        url: rotatedAgent.url,
        service: 'rotated',
        secrets: staticSecretSource({ current: SECRET, previous: OLD_SECRET }),
      });

      // Assess
      expect(stored.bytes).toBeGreaterThan(1000);
      expect(await s3.listKeys('prod/rotated/')).toEqual([stored.key]);
    } finally {
      await rotatedAgent.kill();
    }
  });

  test('surfaces a wrong secret as a 401 naming the task and the fix, storing nothing', async () => {
    // Act
    const capture = captureToS3({
      ...baseOptions(),
      service: 'wrong-secret',
      secrets: staticSecretSource({ current: OLD_SECRET, previous: 'yet-another-secret-0123456789abcdef' }),
    });

    // Assess
    await expect(capture).rejects.toThrow(CaptureError);
    await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'unauthorized' });
    await expect(capture).rejects.toThrow(
      /task 0123456789abcdef0123456789abcdef: 401 bad-signature: .*neither the current nor the previous/,
    );
    expect(await s3.listKeys('prod/wrong-secret/')).toEqual([]);
  });

  test('waits for Retry-After and retries while another capture keeps the agent busy', async () => {
    // Prepare: another client starts a capture and does not read its body yet. The agent unlocks once it hands the
    // last chunk to the connection, so the snapshot must be larger than what loopback socket buffers absorb.
    const big = await startAgentProcess({ secret: SECRET, taskId: TASK_ID, ballastMiB: 32 });
    try {
      const competing = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const other = request(`${big.url}/heap/snapshot`, {
          method: 'POST',
          agent: false,
          headers: { authorization: signToken({ secret: SECRET, taskId: TASK_ID }) },
        });
        other.on('response', resolve).on('error', reject).end();
      });
      competing.pause();
      const waits: number[] = [];
      const sleep = async (ms: number) => {
        waits.push(ms);
        competing.resume();
        // The agent unlocks before the last byte leaves it, so the retry right after the download finds it free.
        await finished(competing);
      };

      // Act
      const stored = await captureToS3({ ...baseOptions(), url: big.url, service: 'busy', sleep });

      // Assess
      // The agent's Retry-After is whole seconds, at least 1
      expect(waits.length).toBeGreaterThanOrEqual(1);
      expect(waits.every((ms) => ms >= 1000 && ms % 1000 === 0)).toBe(true);
      expect(await s3.listKeys('prod/busy/')).toEqual([stored.key]);
    } finally {
      await big.kill();
    }
  });

  test('fails on a sha256 mismatch (corrupted body) and leaves no object', async () => {
    // Prepare
    const proxy = await startFaultyProxy(agent.url, { flipByteAt: 1000 });
    try {
      // Act
      const capture = captureToS3({ ...baseOptions(), url: proxy.url, service: 'corrupted' });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'checksum-mismatch' });
      await expect(capture).rejects.toThrow(/differs from X-Heapwatch-Sha256/);
      expect(await s3.listKeys('prod/corrupted/')).toEqual([]);
    } finally {
      proxy.server.close();
    }
  });

  test('reports a 503 insufficient-memory refusal with the agent’s numbers and does not retry it', async () => {
    // Prepare: an agent whose headroom guard wants far more memory than any machine has
    const cramped = await startAgentProcess({ secret: SECRET, taskId: TASK_ID, captureMemoryFactor: 1e9 });
    const waits: number[] = [];
    try {
      // Act
      const capture = captureToS3({
        ...baseOptions(),
        url: cramped.url,
        service: 'cramped',
        sleep: async (ms) => {
          waits.push(ms);
        },
      });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'insufficient-memory' });
      await expect(capture).rejects.toThrow(/not enough memory headroom .*"neededBytes":\d+.*Not retried/);
      expect(waits).toEqual([]);
      expect(await s3.listKeys('prod/cramped/')).toEqual([]);
    } finally {
      await cramped.kill();
    }
  });

  test('gives up at the deadline (before the Lambda would time out) while the agent is still writing the snapshot', async () => {
    // Prepare: a heap big enough that writing its snapshot takes longer than the time left
    const slow = await startAgentProcess({ secret: SECRET, taskId: TASK_ID, ballastMiB: 20 });
    try {
      // Act
      const capture = captureToS3({ ...baseOptions(), url: slow.url, service: 'deadline', deadline: Date.now() + 300 });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'timeout' });
      expect(await s3.listKeys('prod/deadline/')).toEqual([]);
    } finally {
      await slow.kill();
    }
  });

  test('aborts at the deadline when the body stalls mid-transfer', async () => {
    // Prepare: the network stops delivering after 1 MB; the agent keeps the connection open
    const proxy = await startFaultyProxy(agent.url, { stallAfterBytes: 1_000_000 });
    try {
      // Act
      const capture = captureToS3({
        ...baseOptions(),
        url: proxy.url,
        service: 'stalled',
        deadline: Date.now() + 3000,
      });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'timeout' });
      await expect(capture).rejects.toThrow(/still running at the deadline/);
      expect(await s3.listKeys('prod/stalled/')).toEqual([]);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  });

  test('fails with a timeout when the body stalls longer than the idle timeout', async () => {
    // Prepare
    const proxy = await startFaultyProxy(agent.url, { stallAfterBytes: 1_000_000 });
    try {
      // Act
      const capture = captureToS3({ ...baseOptions(), url: proxy.url, service: 'idle', timeouts: { idleMs: 500 } });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'timeout' });
      await expect(capture).rejects.toThrow(/the snapshot body stalled for 0.5 s/);
      expect(await s3.listKeys('prod/idle/')).toEqual([]);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  });

  test('aborts the multipart upload and stores nothing when the agent process dies mid-transfer', async () => {
    // Prepare: a bigger heap, so the snapshot outlasts the socket buffers
    const dyingTaskId = 'dying-task';
    const dying = await startAgentProcess({ secret: SECRET, taskId: dyingTaskId, ballastMiB: 10 });
    const commandsBefore = s3.sentCommands.length;
    let killed = false;
    try {
      // Act
      const capture = captureToS3({
        ...baseOptions(),
        taskId: dyingTaskId,
        url: dying.url,
        service: 'dying',
        partSizeBytes: 5 * MiB,
        onProgress: ({ bytes }) => {
          if (bytes > 11 * MiB && !killed) {
            killed = true;
            void dying.kill();
          }
        },
      });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: dyingTaskId, reason: 'interrupted' });
      await expect(capture).rejects.toThrow(/task dying-task: the transfer broke after \d+ of \d+ bytes/);
      expect(killed).toBe(true);
      const commands = s3.sentCommands.slice(commandsBefore);
      expect(commands).toContain('CreateMultipartUploadCommand');
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(await s3.listKeys('prod/dying/')).toEqual([]);
    } finally {
      await dying.kill();
    }
  });
});
