import { ProcessGroup } from '../../drill/child-processes';
import { processAlive } from '../support/process-alive';

describe('ProcessGroup', () => {
  it('stops every process and hook, killing one that ignores SIGTERM', async () => {
    const group = new ProcessGroup();
    const polite = group.start('polite', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const stubborn = group.start('stubborn', process.execPath, [
      '-e',
      "process.on('SIGTERM', () => console.log('ignoring')); console.log('ready'); setInterval(() => {}, 1000)",
    ]);
    await new Promise<void>((resolve) => stubborn.child.stdout?.once('data', () => resolve()));
    let hookRan = false;
    group.onStop(async () => {
      hookRan = true;
    });

    await group.stopAll(500);

    expect(processAlive(polite.child.pid ?? -1)).toBe(false);
    expect(processAlive(stubborn.child.pid ?? -1)).toBe(false);
    expect(stubborn.child.signalCode).toBe('SIGKILL');
    expect(stubborn.output()).toContain('ignoring');
    expect(hookRan).toBe(true);
  });
});
