import { Duration } from 'aws-cdk-lib';

/** Measured (TOOLCHAIN.md): `v8.writeHeapSnapshot` of a 193 MB heap froze the event loop for 27.6 s. */
export const CAPTURE_SECONDS_PER_HEAP_MIB = 27.6 / 193;
/** Measured: peak RSS during a capture reached ~12× heapUsed, so the agent refuses captures of bigger heaps. */
export const CAPTURE_PEAK_MEMORY_FACTOR = 12;
/** Safety factor on the measured freeze (slower CPUs, larger object graphs per MiB). */
const FREEZE_MARGIN = 1.5;

/**
 * How long the event loop of a task with this much memory can freeze during a capture: the largest heap the agent
 * will capture is about memory / CAPTURE_PEAK_MEMORY_FACTOR, and the freeze grows linearly with the heap.
 */
export function captureFreeze(taskMemoryMiB: number): Duration {
  const largestHeapMiB = taskMemoryMiB / CAPTURE_PEAK_MEMORY_FACTOR;
  return Duration.seconds(Math.ceil(largestHeapMiB * CAPTURE_SECONDS_PER_HEAP_MIB * FREEZE_MARGIN));
}

/** ALB target-group health check settings (ALB limits: interval ≤ 300 s, timeout ≤ 120 s, thresholds 2–10). */
export interface TargetHealthTolerance {
  readonly interval: Duration;
  readonly timeout: Duration;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
}

const MAX_UNHEALTHY_THRESHOLD = 10;

/**
 * Health-check settings under which a freeze of the given length fails fewer consecutive checks than the
 * unhealthy threshold: during a freeze of F seconds at most ceil((F + timeout) / interval) + 1 checks fail.
 */
export function targetHealthTolerance(freeze: Duration): TargetHealthTolerance {
  const timeoutSeconds = 10;
  let intervalSeconds = 30;
  const failedChecks = (interval: number) => Math.ceil((freeze.toSeconds() + timeoutSeconds) / interval) + 1;
  while (failedChecks(intervalSeconds) + 1 > MAX_UNHEALTHY_THRESHOLD && intervalSeconds < 300) {
    intervalSeconds = Math.min(300, intervalSeconds + 15);
  }
  return {
    interval: Duration.seconds(intervalSeconds),
    timeout: Duration.seconds(timeoutSeconds),
    healthyThresholdCount: 2,
    unhealthyThresholdCount: Math.max(2, Math.min(MAX_UNHEALTHY_THRESHOLD, failedChecks(intervalSeconds) + 1)),
  };
}

/** ECS container health check as rendered into the task definition (seconds). */
export interface ContainerHealthCheckSeconds {
  readonly interval: number;
  readonly timeout: number;
  readonly retries: number;
}

/** True when a container health check would mark the task unhealthy during a freeze of this length. */
export function containerHealthCheckFailsDuring(check: ContainerHealthCheckSeconds, freeze: Duration): boolean {
  const failedChecks = Math.ceil((freeze.toSeconds() + check.timeout) / check.interval) + 1;
  return failedChecks >= check.retries;
}
