import { readContainerMemory } from '@heapwatch/agent';
import { fakeCgroup, removeFakeCgroups } from './helpers/fake-cgroup';

describe('readContainerMemory', () => {
  afterAll(removeFakeCgroups);

  it('reads cgroup v2 memory.max and memory.current', async () => {
    // Prepare
    const paths = await fakeCgroup({ 'memory.max': '536870912\n', 'memory.current': '123456789\n' });
    // Act
    const memory = readContainerMemory(paths);
    // Assess
    expect(memory).toEqual({ limitBytes: 536_870_912, usageBytes: 123_456_789 });
  });

  it('leaves the limit out when cgroup v2 says "max"', async () => {
    const paths = await fakeCgroup({ 'memory.max': 'max\n', 'memory.current': '4096\n' });
    expect(readContainerMemory(paths)).toEqual({ limitBytes: undefined, usageBytes: 4096 });
  });

  it("prefers the process's own cgroup v2 directory", async () => {
    const paths = await fakeCgroup(
      { 'memory.max': 'max', 'memory.current': '1', 'ecs/task/memory.max': '1000', 'ecs/task/memory.current': '10' },
      '0::/ecs/task\n',
    );
    expect(readContainerMemory(paths)).toEqual({ limitBytes: 1000, usageBytes: 10 });
  });

  it('falls back to cgroup v1 memory.limit_in_bytes and memory.usage_in_bytes', async () => {
    const paths = await fakeCgroup(
      {
        'memory/memory.limit_in_bytes': '9223372036854771712',
        'memory/memory.usage_in_bytes': '1',
        'memory/docker/abc/memory.limit_in_bytes': '268435456\n',
        'memory/docker/abc/memory.usage_in_bytes': '100000000\n',
      },
      '12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n',
    );
    expect(readContainerMemory(paths)).toEqual({ limitBytes: 268_435_456, usageBytes: 100_000_000 });
  });

  it('treats the cgroup v1 "no limit" sentinel as unlimited', async () => {
    const paths = await fakeCgroup({
      'memory/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/memory.usage_in_bytes': '2048\n',
    });
    expect(readContainerMemory(paths)).toEqual({ limitBytes: undefined, usageBytes: 2048 });
  });

  it('returns nothing, without throwing, when no cgroup is readable or the files hold garbage', async () => {
    expect(readContainerMemory(await fakeCgroup({}))).toEqual({ limitBytes: undefined, usageBytes: undefined });
    const garbage = await fakeCgroup({ 'memory.max': 'lots', 'memory.current': '-5' });
    expect(readContainerMemory(garbage)).toEqual({ limitBytes: undefined, usageBytes: undefined });
  });
});
