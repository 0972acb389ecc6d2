import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  adminServerOptionsFromEnv,
  resolveTaskId,
  startAdminServerFromEnv,
  taskIdFromArn,
  taskIdFromHostname,
} from '@heapwatch/agent';
import { encodePublicKey } from '@heapwatch/agent/protocol';
import { STRANGER_KEYS, TEST_KEYS } from '../support/test-keys';
import { silentLogger } from './helpers/silent-logger';

/** A loopback stand-in for the ECS task metadata endpoint v4. */
async function startMetadataEndpoint(answer: (path: string) => [number, unknown]): Promise<Server> {
  const server = createServer((req, res) => {
    const [status, body] = answer(req.url ?? '');
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const uriOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4/abc-123`;

describe('adminServerOptionsFromEnv', () => {
  let metadata: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (metadata ? metadata.close(resolve) : resolve(undefined)));
    metadata = undefined;
  });

  it('reads every HEAPWATCH_ variable', async () => {
    const options = await adminServerOptionsFromEnv({
      HEAPWATCH_PUBLIC_KEYS: ` ${TEST_KEYS.publicKey} `,
      HEAPWATCH_TASK_ID: 'task-9',
      HEAPWATCH_ADMIN_PORT: '9500',
      HEAPWATCH_ADMIN_HOST: '127.0.0.1',
      HEAPWATCH_SNAPSHOT_DIR: '/var/tmp/heapwatch',
      HEAPWATCH_CAPTURE_MEMORY_FACTOR: '8.5',
      HEAPWATCH_CAPTURE_DISK_FACTOR: '2',
      HEAPWATCH_HEAP_SAMPLING: 'OFF',
      HEAPWATCH_HEAP_SAMPLING_INTERVAL: '65536',
    });
    expect(options).toMatchObject({
      heapSampling: false,
      heapSamplingIntervalBytes: 65536,
      publicKeys: [TEST_KEYS.publicKey],
      taskId: 'task-9',
      port: 9500,
      host: '127.0.0.1',
      snapshotDir: '/var/tmp/heapwatch',
      captureMemoryFactor: 8.5,
      captureDiskFactor: 2,
    });
  });

  it('treats empty variables as unset and names a bad value with the fix', async () => {
    const options = await adminServerOptionsFromEnv({ HEAPWATCH_PUBLIC_KEYS: '', HEAPWATCH_TASK_ID: 't' });
    expect(options.publicKeys).toBeUndefined();
    expect(options.port).toBeUndefined();
    await expect(adminServerOptionsFromEnv({ HEAPWATCH_ADMIN_PORT: 'nine', HEAPWATCH_TASK_ID: 't' })).rejects.toThrow(
      /HEAPWATCH_ADMIN_PORT="nine" is not a number: use a port number such as 9464/,
    );
    await expect(adminServerOptionsFromEnv({ HEAPWATCH_ADMIN_PORT: '70000', HEAPWATCH_TASK_ID: 't' })).rejects.toThrow(
      /HEAPWATCH_ADMIN_PORT 70000 is invalid/,
    );
  });

  it('reads HEAPWATCH_PUBLIC_KEYS: one key, or two comma-separated during a rotation', async () => {
    const one = await adminServerOptionsFromEnv({ HEAPWATCH_PUBLIC_KEYS: TEST_KEYS.publicKey, HEAPWATCH_TASK_ID: 't' });
    const two = await adminServerOptionsFromEnv({
      HEAPWATCH_PUBLIC_KEYS: `${TEST_KEYS.publicKey}, ${STRANGER_KEYS.publicKey},`,
      HEAPWATCH_TASK_ID: 't',
    });
    expect(one.publicKeys).toEqual([TEST_KEYS.publicKey]);
    expect(two.publicKeys).toEqual([TEST_KEYS.publicKey, STRANGER_KEYS.publicKey]);
  });

  it.each([
    ['not base64', 'not a key!', /^HEAPWATCH_PUBLIC_KEYS is not base64: .*heapwatch keygen/],
    ['base64 of something else', Buffer.from('hello').toString('base64'), /^HEAPWATCH_PUBLIC_KEYS is not a DER SPKI/],
    [
      'a key that is not Ed25519',
      encodePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
      /^HEAPWATCH_PUBLIC_KEYS is a ec key; heapwatch tokens use Ed25519/,
    ],
    ['a bad second key', `${TEST_KEYS.publicKey},nope!`, /^HEAPWATCH_PUBLIC_KEYS \(key 2\) is not base64/],
    [
      'a private key',
      TEST_KEYS.privateKey,
      /^HEAPWATCH_PUBLIC_KEYS holds a private key: give the agent the public key only.*treat this private key as leaked/,
    ],
  ])('refuses HEAPWATCH_PUBLIC_KEYS holding %s, naming the variable', async (_name, value, message) => {
    await expect(adminServerOptionsFromEnv({ HEAPWATCH_PUBLIC_KEYS: value, HEAPWATCH_TASK_ID: 't' })).rejects.toThrow(
      message,
    );
  });

  it('names a bad heap sampling switch or interval with the fix', async () => {
    await expect(adminServerOptionsFromEnv({ HEAPWATCH_HEAP_SAMPLING: 'yes', HEAPWATCH_TASK_ID: 't' })).rejects.toThrow(
      'HEAPWATCH_HEAP_SAMPLING="yes" is invalid: use on or off',
    );
    await expect(
      startAdminServerFromEnv({ HEAPWATCH_HEAP_SAMPLING_INTERVAL: '12', HEAPWATCH_TASK_ID: 't' }),
    ).rejects.toThrow(
      /heapSamplingIntervalBytes \(HEAPWATCH_HEAP_SAMPLING_INTERVAL\) 12 is invalid: use a whole number of bytes from 1024/,
    );
  });

  it('takes the task id from the ECS task metadata endpoint v4 (last segment of TaskARN)', async () => {
    // Prepare
    const paths: string[] = [];
    metadata = await startMetadataEndpoint((path) => {
      paths.push(path);
      return [
        200,
        { TaskARN: 'arn:aws:ecs:eu-west-1:123456789012:task/shop-cluster/0f1e2d3c4b5a69788796a5b4c3d2e1f0' },
      ];
    });
    // Act
    const options = await adminServerOptionsFromEnv({ ECS_CONTAINER_METADATA_URI_V4: uriOf(metadata) });
    // Assess
    expect(options.taskId).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(paths).toEqual(['/v4/abc-123/task']);
  });

  it('falls back to the hostname, with a warning, when the metadata endpoint fails', async () => {
    metadata = await startMetadataEndpoint(() => [500, { error: 'boom' }]);
    const warnings: string[] = [];
    const taskId = await resolveTaskId(
      { ECS_CONTAINER_METADATA_URI_V4: uriOf(metadata) },
      { logger: { ...silentLogger, warn: (m) => warnings.push(m) } },
    );
    expect(taskId).toBe(taskIdFromHostname());
    expect(warnings.join()).toMatch(/could not read the task id .*HTTP 500.*Set HEAPWATCH_TASK_ID/);
  });

  it('uses the hostname outside ECS, made safe for file names', async () => {
    expect(await resolveTaskId({})).toBe(taskIdFromHostname());
    expect(taskIdFromHostname('ip-10-0-0-1.eu-west-1.compute.internal')).toBe('ip-10-0-0-1.eu-west-1.compute.internal');
    expect(taskIdFromHostname('weird host/name')).toBe('weird-host-name');
    expect(taskIdFromArn('arn:aws:ecs:us-east-1:1:task/abc')).toBe('abc');
    expect(taskIdFromArn('not an arn/')).toBeUndefined();
  });
});
