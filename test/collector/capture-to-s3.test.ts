import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { finished } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { generateSigningKeyPair, signToken } from '@heapwatch/agent/protocol';
import { CaptureError } from '../../collector/capture-error';
import { captureToS3 } from '../../collector/capture-to-s3';
import { MIN_CAPTURE_BUDGET_MS } from '../../collector/open-snapshot';
import { staticSigningKeySource } from '../../collector/signing-key-source';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { startFaultyProxy } from '../support/faulty-proxy';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';
import { STRANGER_KEYS, TEST_KEYS } from '../support/test-keys';

/** The key a rotation adds: agents mid-rotation trust both it and TEST_KEYS. */
const NEW_KEYS = generateSigningKeyPair();
const TASK_ID = '0123456789abcdef0123456789abcdef';
const MiB = 1024 * 1024;

describe('captureToS3', () => {
  let s3: LoopbackS3;
  let agent: AgentProcess;

  beforeAll(async () => {
    [s3, agent] = await Promise.all([startLoopbackS3(), startAgentProcess({ taskId: TASK_ID })]);
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
    signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
  });

  test('streams a verified snapshot into S3 under the task prefix with task, size and sha256 metadata', async () => {
    // Prepare
    const commandsBefore = s3.sentCommands.length;

    // Act
    const stored = await captureToS3({ ...baseOptions(), now: () => new Date('2026-11-27T01:02:03.456Z') });

    // Assess: one PutObject that S3 checked against the agent's sha256
    expect(stored.key).toBe(`prod/web/${TASK_ID}/2026-11-27T01-02-03.456Z.heapsnapshot`);
    expect(s3.sentCommands.slice(commandsBefore)).toEqual(['PutObjectCommand', 'HeadObjectCommand']);
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.key, ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumSHA256).toBe(Buffer.from(stored.sha256, 'hex').toString('base64'));
    expect(head.Metadata).toMatchObject({ 'task-id': TASK_ID, size: String(stored.bytes), sha256: stored.sha256 });
    const body = await (
      await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: stored.key }))
    ).Body!.transformToByteArray();
    expect(createHash('sha256').update(body).digest('hex')).toBe(stored.sha256);
    expect(JSON.parse(Buffer.from(body).toString('utf8')).snapshot.meta.node_fields).toContain('name');
  });

  test('captures from an agent mid-rotation, which trusts the old and the new public key', async () => {
    // Prepare: the service was redeployed with both keys; the collector already signs with the new one
    const rotatedAgent = await startAgentProcess({
      taskId: TASK_ID,
      publicKeys: [TEST_KEYS.publicKey, NEW_KEYS.publicKey],
    });
    try {
      // Act
      const stored = await captureToS3({
        ...baseOptions(),
        url: rotatedAgent.url,
        service: 'rotated',
        signingKey: staticSigningKeySource(NEW_KEYS.privateKey),
      });

      // Assess
      expect(stored.bytes).toBeGreaterThan(1000);
      expect(await s3.listKeys('prod/rotated/')).toEqual([stored.key]);
    } finally {
      await rotatedAgent.kill();
    }
  });

  test('surfaces a key the agent does not trust as a 401 naming the task and the fix, storing nothing', async () => {
    // Act
    const capture = captureToS3({
      ...baseOptions(),
      service: 'wrong-key',
      signingKey: staticSigningKeySource(STRANGER_KEYS.privateKey),
    });

    // Assess
    await expect(capture).rejects.toThrow(CaptureError);
    await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'unauthorized' });
    await expect(capture).rejects.toThrow(
      new RegExp(
        `task 0123456789abcdef0123456789abcdef: 401 bad-signature: the agent’s HEAPWATCH_PUBLIC_KEYS does not hold the public key of the signing key \\(${STRANGER_KEYS.publicKey.replace(/[+/]/g, '\\$&')}\\)`,
      ),
    );
    expect(await s3.listKeys('prod/wrong-key/')).toEqual([]);
  });

  test('waits for Retry-After and retries while another capture keeps the agent busy', async () => {
    // Prepare: another client starts a capture and does not read its body yet. The agent unlocks once it hands the
    // last chunk to the connection, so the snapshot must be larger than what loopback socket buffers absorb.
    const big = await startAgentProcess({ taskId: TASK_ID, ballastMiB: 32 });
    try {
      const competing = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const other = request(`${big.url}/heap/snapshot`, {
          method: 'POST',
          agent: false,
          headers: { authorization: signToken({ privateKey: TEST_KEYS.privateKey, taskId: TASK_ID }) },
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

  test('a flipped byte stores nothing: S3 refuses the PutObject against the agent’s sha256 (BadDigest)', async () => {
    // Prepare
    const proxy = await startFaultyProxy(agent.url, { flipByteAt: 1000 });
    try {
      // Act
      const capture = captureToS3({ ...baseOptions(), url: proxy.url, service: 'corrupted' });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'checksum-mismatch' });
      await expect(capture).rejects.toThrow(/S3 refused it \(BadDigest\), its sha256 differs from X-Heapwatch-Sha256/);
      expect(s3.refused).toContainEqual(
        expect.objectContaining({ code: 'BadDigest', method: 'PUT', key: expect.stringMatching(/^prod\/corrupted\//) }),
      );
      expect(await s3.listKeys('prod/corrupted/')).toEqual([]);
    } finally {
      proxy.server.close();
    }
  });

  test('a flipped byte in a capture too big for one PutObject fails the multipart upload, which is aborted', async () => {
    // Prepare: a limit below the snapshot's size sends it multipart, as a snapshot over 5 GiB is
    const proxy = await startFaultyProxy(agent.url, { flipByteAt: 1000 });
    const commandsBefore = s3.sentCommands.length;
    try {
      // Act
      const capture = captureToS3({
        ...baseOptions(),
        url: proxy.url,
        service: 'corrupted-parts',
        singlePutLimitBytes: MiB,
      });

      // Assess
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'checksum-mismatch' });
      await expect(capture).rejects.toThrow(/arrived corrupted \(sha256 [0-9a-f]{64} differs from X-Heapwatch-Sha256/);
      const commands = s3.sentCommands.slice(commandsBefore);
      expect(commands).toContain('CreateMultipartUploadCommand');
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(await s3.listKeys('prod/corrupted-parts/')).toEqual([]);
    } finally {
      proxy.server.close();
    }
  });

  test('takes the capture once more when S3 fails the PutObject (503 SlowDown), which the SDK cannot resend', async () => {
    // Prepare
    s3.slowDownNextPuts(1);

    // Act
    const stored = await captureToS3({ ...baseOptions(), service: 'throttled' });

    // Assess
    expect(s3.refused.filter(({ key }) => key.startsWith('prod/throttled/'))).toEqual([
      { code: 'SlowDown', method: 'PUT', key: expect.stringMatching(/\.heapsnapshot$/) },
    ]);
    expect(await s3.listKeys('prod/throttled/')).toEqual([stored.key]);
  });

  test('gives up when S3 fails the PutObject of the second capture too, naming the error', async () => {
    // Prepare
    s3.slowDownNextPuts(2);

    // Act
    const capture = captureToS3({ ...baseOptions(), service: 'throttled-twice' });

    // Assess
    await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'upload-failed' });
    await expect(capture).rejects.toThrow(/storing s3:\/\/snapshots\/prod\/throttled-twice\/.* failed: Please reduce/);
    expect(await s3.listKeys('prod/throttled-twice/')).toEqual([]);
  });

  test('stops waiting for a busy agent before the deadline, and says so', async () => {
    // Prepare: an agent that stays busy (409, Retry-After: 1) past the deadline, which leaves about 2 tries
    const proxy = await startFaultyProxy(agent.url, { busySnapshotRequests: 1_000 });
    const deadline = Date.now() + MIN_CAPTURE_BUDGET_MS + 2_500;
    const sleeps: { readonly from: number; readonly ms: number }[] = [];
    const sleep = async (ms: number) => {
      sleeps.push({ from: Date.now(), ms });
      await new Promise((resolve) => setTimeout(resolve, ms));
    };
    try {
      // Act
      const capture = captureToS3({ ...baseOptions(), url: proxy.url, service: 'busy-deadline', sleep, deadline });

      // Assess: it never slept into the time a capture needs, and it failed as busy, not as a Lambda timeout would
      await expect(capture).rejects.toMatchObject({ taskId: TASK_ID, reason: 'busy' });
      await expect(capture).rejects.toThrow(/the next try would leave less than 60 s before the deadline/);
      expect(sleeps.length).toBeGreaterThanOrEqual(1);
      for (const { from, ms } of sleeps) expect(from + ms).toBeLessThan(deadline - MIN_CAPTURE_BUDGET_MS / 2);
      expect(await s3.listKeys('prod/busy-deadline/')).toEqual([]);
    } finally {
      proxy.server.close();
    }
  });

  test('reports a 503 insufficient-memory refusal with the agent’s numbers and does not retry it', async () => {
    // Prepare: an agent whose headroom guard wants far more memory than any machine has
    const cramped = await startAgentProcess({ taskId: TASK_ID, captureMemoryFactor: 1e9 });
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
    const slow = await startAgentProcess({ taskId: TASK_ID, ballastMiB: 20 });
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

  test.each([
    ['one PutObject', 'dying-whole', {}, ['PutObjectCommand']],
    [
      'the multipart upload',
      'dying-parts',
      { singlePutLimitBytes: MiB, partSizeBytes: 5 * MiB },
      ['CreateMultipartUploadCommand', 'AbortMultipartUploadCommand'],
    ],
  ])('aborts %s and stores nothing when the agent process dies mid-transfer', async (_path, service, limits, sent) => {
    // Prepare: a bigger heap, so the snapshot outlasts the socket buffers
    const dyingTaskId = 'dying-task';
    const dying = await startAgentProcess({ taskId: dyingTaskId, ballastMiB: 10 });
    const commandsBefore = s3.sentCommands.length;
    let killed = false;
    try {
      // Act
      const capture = captureToS3({
        ...baseOptions(),
        ...limits,
        taskId: dyingTaskId,
        url: dying.url,
        service,
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
      expect(commands).toEqual(expect.arrayContaining(sent));
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(await s3.listKeys(`prod/${service}/`)).toEqual([]);
    } finally {
      await dying.kill();
    }
  });
});
