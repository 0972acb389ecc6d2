import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateSigningKeyPair, type SigningKeyPair } from '@heapwatch/agent/protocol';
import { mockClient } from 'aws-sdk-client-mock';
import { captureToS3 } from '../../collector/capture-to-s3';
import { SecretsManagerSigningKeySource } from '../../collector/signing-key-source';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';

const run = promisify(execFile);
const cli = resolve(__dirname, '../../bin/heapwatch.js');
const TASK_ID = 'rotating-task';
/** Each key name has a secret of its own (lib/storage/signing-keys.ts). */
const OLD_SECRET = 'heapwatch/signing-key-initial';
const NEW_SECRET = 'heapwatch/signing-key-2025-07';

/**
 * A key rotation on loopback, as docs/operations.md describes it: the services learn the new public key first (a
 * redeploy restarts their tasks), then the collector signs with the new private key, then the old key is dropped.
 * The agent is a real process restarted with each stage's HEAPWATCH_PUBLIC_KEYS; the collector reads its key from
 * the current key's secret in Secrets Manager (mocked at the SDK boundary), as configured by each deploy; the CLI is
 * the real `heapwatch capture --url`.
 */
describe('rotating the signing key', () => {
  const oldKeys = generateSigningKeyPair();
  const newKeys = generateSigningKeyPair();
  const secretsManager = mockClient(SecretsManagerClient);
  let s3: LoopbackS3;
  let agent: AgentProcess | undefined;
  let outDir: string;
  /** The capture function as one deploy configures it: the current key's secret and its public key. */
  const collectorSigningWith = (secretId: string, pair: SigningKeyPair) =>
    new SecretsManagerSigningKeySource(new SecretsManagerClient({}), secretId, pair.publicKey);
  let signingKey = collectorSigningWith(OLD_SECRET, oldKeys);

  beforeAll(async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: OLD_SECRET })
      .resolves({ SecretString: oldKeys.privateKey })
      .on(GetSecretValueCommand, { SecretId: NEW_SECRET })
      .resolves({ SecretString: newKeys.privateKey });
    s3 = await startLoopbackS3();
    outDir = await mkdtemp(join(tmpdir(), 'heapwatch-rotation-'));
  });
  afterAll(async () => {
    await agent?.kill();
    await s3?.close();
    await rm(outDir, { recursive: true, force: true });
    secretsManager.restore();
  });

  async function deployService(trusted: readonly SigningKeyPair[]): Promise<AgentProcess> {
    await agent?.kill();
    agent = await startAgentProcess({ taskId: TASK_ID, publicKeys: trusted.map((pair) => pair.publicKey) });
    return agent;
  }

  const collectorCapture = (service: string, url: string) =>
    captureToS3({
      s3: s3.client,
      bucket: s3.bucket,
      cluster: 'prod',
      service,
      taskId: TASK_ID,
      url,
      kind: 'heapprofile',
      signingKey,
    });

  async function cliCapture(url: string, pair: SigningKeyPair): Promise<{ code: number; stderr: string }> {
    try {
      const { stderr } = await run(
        process.execPath,
        [cli, 'capture', '--url', url, '--task', TASK_ID, '--out', outDir],
        {
          env: { ...process.env, HEAPWATCH_PRIVATE_KEY: pair.privateKey },
        },
      );
      return { code: 0, stderr };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  }

  test('loses no capture at any stage and ends with the old key refused', async () => {
    // Before: services and the collector use the old key.
    let service = await deployService([oldKeys]);
    await expect(collectorCapture('before', service.url)).resolves.toMatchObject({ kind: 'heapprofile' });

    // Stage 1: the services accept both keys; the collector still signs with the old one; engineers may use either.
    service = await deployService([oldKeys, newKeys]);
    await expect(collectorCapture('stage-1', service.url)).resolves.toMatchObject({ kind: 'heapprofile' });
    expect(await cliCapture(service.url, oldKeys)).toMatchObject({ code: 0 });
    expect(await cliCapture(service.url, newKeys)).toMatchObject({ code: 0 });

    // Stage 2: the new key is current: the capture function reads the new key's secret. The tasks are not replaced
    // (their key list is unchanged) and accept it.
    signingKey = collectorSigningWith(NEW_SECRET, newKeys);
    await expect(collectorCapture('stage-2', service.url)).resolves.toMatchObject({ kind: 'heapprofile' });

    // Stage 3: the old key is dropped from the services; the collector goes on with the new key.
    service = await deployService([newKeys]);
    await expect(collectorCapture('stage-3', service.url)).resolves.toMatchObject({ kind: 'heapprofile' });
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual([
      OLD_SECRET,
      NEW_SECRET,
    ]);
    expect(await cliCapture(service.url, newKeys)).toMatchObject({ code: 0 });
    const refused = await cliCapture(service.url, oldKeys);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 bad-signature');
    expect(refused.stderr).toContain(oldKeys.publicKey);
    expect(refused.stderr).not.toContain(oldKeys.privateKey);

    for (const stage of ['before', 'stage-1', 'stage-2', 'stage-3']) {
      expect(await s3.listKeys(`prod/${stage}/`)).toHaveLength(1);
    }
    expect((await readdir(outDir)).filter((name) => name.endsWith('.heapprofile'))).toHaveLength(3);
  }, 120_000);
});
