import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { parsePublicKey, verifyToken } from '@heapwatch/agent/protocol';
import { TEST_KEYS } from '../support/test-keys';

const run = promisify(execFile);
const cli = resolve(__dirname, '../../bin/heapwatch.js');
const publicKeys = [parsePublicKey(TEST_KEYS.publicKey)];
const signerEnv = { ...process.env, HEAPWATCH_PRIVATE_KEY: TEST_KEYS.privateKey };

describe('heapwatch sign', () => {
  it('prints a header value the agent accepts for that task only', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sign', '--task', 'task-9', '--ttl', '60'], {
      env: signerEnv,
    });

    const header = stdout.trim();
    expect(verifyToken(header, { publicKeys, taskId: 'task-9' })).toMatchObject({ ok: true });
    expect(verifyToken(header, { publicKeys, taskId: 'task-8' })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('signs for the heap-profile action when asked, and only for it', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sign', '--task', 'task-9', '--action', 'heap-profile'], {
      env: signerEnv,
    });

    const header = stdout.trim();
    expect(verifyToken(header, { publicKeys, taskId: 'task-9', action: 'heap-profile' })).toMatchObject({ ok: true });
    expect(verifyToken(header, { publicKeys, taskId: 'task-9' })).toEqual({ ok: false, reason: 'bad-signature' });
    await expect(
      run(process.execPath, [cli, 'sign', '--task', 't', '--action', 'heap-dump'], { env: signerEnv }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('--action "heap-dump" is unknown') });
  });

  it('explains a missing or wrong key and a bad lifetime without a stack trace, never echoing the key', async () => {
    const env = { ...process.env };
    delete env.HEAPWATCH_PRIVATE_KEY;
    await expect(run(process.execPath, [cli, 'sign', '--task', 't'], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('HEAPWATCH_PRIVATE_KEY is not set'),
    });
    const wrong = run(process.execPath, [cli, 'sign', '--task', 't'], {
      env: { ...env, HEAPWATCH_PRIVATE_KEY: TEST_KEYS.publicKey },
    });
    await expect(wrong).rejects.toMatchObject({
      stderr:
        'heapwatch: HEAPWATCH_PRIVATE_KEY is not a DER PKCS8 private key (generate a pair with `heapwatch keygen`)\n',
    });
    await expect(
      run(process.execPath, [cli, 'sign', '--task', 't', '--ttl', '900'], { env: signerEnv }),
    ).rejects.toMatchObject({ stderr: 'heapwatch: ttlSeconds 900 is invalid: use a whole number from 1 to 300\n' });
  });
});

describe('heapwatch keygen', () => {
  it('prints a pair: tokens signed with its private key verify under its public key', async () => {
    const { stdout } = await run(process.execPath, [cli, 'keygen']);
    const lines = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(Object.keys(lines)).toEqual(['HEAPWATCH_PUBLIC_KEYS', 'HEAPWATCH_PRIVATE_KEY']);

    const { stdout: header } = await run(process.execPath, [cli, 'sign', '--task', 'task-1'], {
      env: { ...process.env, HEAPWATCH_PRIVATE_KEY: lines.HEAPWATCH_PRIVATE_KEY },
    });
    const verdict = verifyToken(header.trim(), {
      publicKeys: [parsePublicKey(lines.HEAPWATCH_PUBLIC_KEYS)],
      taskId: 'task-1',
    });
    expect(verdict).toMatchObject({ ok: true });
  });

  it('prints a new pair each time, as JSON when asked', async () => {
    const [a, b] = await Promise.all([
      run(process.execPath, [cli, 'keygen', '--json']),
      run(process.execPath, [cli, 'keygen', '--json']),
    ]);
    const [first, second] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(Object.keys(first)).toEqual(['publicKey', 'privateKey']);
    expect(first.privateKey).not.toBe(second.privateKey);
  });
});
