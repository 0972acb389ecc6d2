import { createAgentMetrics } from '../../agent';
import { percentile } from './measure';

export interface RenderResult {
  readonly renders: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly bytes: number;
  /** CPU time per render, less sensitive than wall time to other processes on a shared machine. */
  readonly cpuMsPerRender: number;
}

/** Time of `registry.metrics()` for the agent's registry (default metrics + heapwatch gauges reading cgroup files). */
export async function measureMetricsRender(renders = 2000): Promise<RenderResult> {
  const { registry } = createAgentMetrics();
  for (let i = 0; i < 100; i++) await registry.metrics();
  const times: number[] = [];
  let bytes = 0;
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < renders; i++) {
    const started = performance.now();
    const text = await registry.metrics();
    times.push(performance.now() - started);
    bytes = text.length;
  }
  const cpu = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  return {
    renders,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: times.at(-1)!,
    bytes,
    cpuMsPerRender: (cpu.user + cpu.system) / 1000 / renders,
  };
}
