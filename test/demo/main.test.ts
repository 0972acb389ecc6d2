import { startTsxChild } from '../agent/helpers/child-process';

describe('npm run demo (demo/src/main.ts)', () => {
  it('says clearly that captures are disabled without HEAPWATCH_PUBLIC_KEYS, and answers 503 disabled', async () => {
    // Prepare
    const child = await startTsxChild('demo/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      HEAPWATCH_ADMIN_PORT: '0',
      HEAPWATCH_PUBLIC_KEYS: '',
      HEAPWATCH_TASK_ID: 'demo-task',
    });
    try {
      // Act
      const snapshot = await fetch(`${child.ready.adminUrl}/heap/snapshot`, { method: 'POST' });
      const home = await fetch(`${child.ready.siteUrl}/`);
      // Assess
      expect(child.ready).toMatchObject({ event: 'listening', leak: 'none', taskId: 'demo-task' });
      expect(child.ready.captures).toMatch(/disabled \(HEAPWATCH_PUBLIC_KEYS not set\)/);
      expect(child.output()).toMatch(
        /HEAPWATCH_PUBLIC_KEYS is not set, so POST \/heap\/snapshot and \/heap\/profile answer 503/,
      );
      expect([snapshot.status, await snapshot.json()]).toEqual([503, { error: 'disabled' }]);
      expect(home.status).toBe(200);
    } finally {
      // Assess: SIGTERM shuts down gracefully
      expect(await child.stop()).toBe(0);
    }
  });

  it('refuses an unknown leak with a message that lists the known ones', async () => {
    await expect(
      startTsxChild('demo/src/main.ts', {
        PORT: '0',
        HOST: '127.0.0.1',
        HEAPWATCH_ADMIN_PORT: '0',
        HEAPWATCH_LEAK: 'nope',
      }),
    ).rejects.toThrow(/leak "nope" is unknown: use one of none, memoize/);
  });
});
