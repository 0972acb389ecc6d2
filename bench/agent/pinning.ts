import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Where the throughput benchmark runs the servers and the load generator, or why it could not pin them. */
export type CorePlan =
  | { readonly pinned: true; readonly serverCore: number; readonly loadCore: number }
  | { readonly pinned: false; readonly reason: string };

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function planCores(): CorePlan {
  if (availableParallelism() < 2) return { pinned: false, reason: 'fewer than 2 cores available' };
  if (!hasTaskset()) return { pinned: false, reason: 'taskset not found (install util-linux)' };
  return { pinned: true, serverCore: 0, loadCore: 1 };
}

/** Sets the CPU affinity of every thread of a process (threads created later inherit it). */
export function pinProcess(pid: number, cores: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cores, String(pid)], { stdio: 'ignore' });
}

export function allCores(): string {
  return `0-${availableParallelism() - 1}`;
}
