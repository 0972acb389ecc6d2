import { createAgentMetrics } from '@heapwatch/agent';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { percentile } from './measure';

export interface RenderStats {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly bytes: number;
  /** CPU time per render, less sensitive than wall time to other processes on a shared machine. */
  readonly cpuMsPerRender: number;
}

export interface RenderResult {
  readonly renders: number;
  /** The agent's registry: default metrics + heapwatch gauges (reading cgroup files) + snapshot counter. */
  readonly agent: RenderStats;
  /** Baseline: a registry with prom-client's default metrics only, rendered in alternation with the agent's. */
  readonly defaultsOnly: RenderStats;
}

class Recorder {
  private readonly times: number[] = [];
  private cpuMicros = 0;
  bytes = 0;

  async time(registry: Registry): Promise<void> {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const text = await registry.metrics();
    this.times.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    this.cpuMicros += used.user + used.system;
    this.bytes = text.length;
  }

  stats(): RenderStats {
    const sorted = [...this.times].sort((a, b) => a - b);
    return {
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1)!,
      bytes: this.bytes,
      cpuMsPerRender: this.cpuMicros / 1000 / sorted.length,
    };
  }
}

/** Time of `registry.metrics()`, agent registry vs prom-client defaults alone, alternating in one process. */
export async function measureMetricsRender(renders = 2000): Promise<RenderResult> {
  const { registry } = createAgentMetrics();
  const baseline = new Registry();
  collectDefaultMetrics({ register: baseline });
  for (let i = 0; i < 100; i++) {
    await registry.metrics();
    await baseline.metrics();
  }
  const agent = new Recorder();
  const defaultsOnly = new Recorder();
  for (let i = 0; i < renders; i++) {
    await agent.time(registry);
    await defaultsOnly.time(baseline);
  }
  return { renders, agent: agent.stats(), defaultsOnly: defaultsOnly.stats() };
}
