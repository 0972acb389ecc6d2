import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { verifyToken } from '@heapwatch/agent/protocol';

const run = promisify(execFile);
const cli = resolve(__dirname, '../../bin/heapwatch.js');
const secret = 'c'.repeat(64);

describe('heapwatch sign', () => {
  it('prints a header value the agent accepts for that task only', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sign', '--task', 'task-9', '--ttl', '60'], {
      env: { ...process.env, HEAPWATCH_SECRET: secret },
    });

    const header = stdout.trim();
    expect(verifyToken(header, { secrets: [secret], taskId: 'task-9' })).toMatchObject({ ok: true });
    expect(verifyToken(header, { secrets: [secret], taskId: 'task-8' })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('signs for the heap-profile action when asked, and only for it', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sign', '--task', 'task-9', '--action', 'heap-profile'], {
      env: { ...process.env, HEAPWATCH_SECRET: secret },
    });

    const header = stdout.trim();
    expect(verifyToken(header, { secrets: [secret], taskId: 'task-9', action: 'heap-profile' })).toMatchObject({
      ok: true,
    });
    expect(verifyToken(header, { secrets: [secret], taskId: 'task-9' })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    await expect(
      run(process.execPath, [cli, 'sign', '--task', 't', '--action', 'heap-dump'], {
        env: { ...process.env, HEAPWATCH_SECRET: secret },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('--action "heap-dump" is unknown') });
  });

  it('explains a missing secret and a bad lifetime without a stack trace', async () => {
    const env = { ...process.env };
    delete env.HEAPWATCH_SECRET;
    await expect(run(process.execPath, [cli, 'sign', '--task', 't'], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('HEAPWATCH_SECRET is not set'),
    });
    await expect(
      run(process.execPath, [cli, 'sign', '--task', 't', '--ttl', '900'], {
        env: { ...env, HEAPWATCH_SECRET: secret },
      }),
    ).rejects.toMatchObject({ stderr: 'heapwatch: ttlSeconds 900 is invalid: use a whole number from 1 to 300\n' });
  });
});
