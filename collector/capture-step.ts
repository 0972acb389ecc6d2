import type { CaptureKind } from '@heapwatch/agent/protocol';
import { type CaptureError, isRefusal } from './capture-error';

/** What one step took: each kind captured, or the refusal the step went on without. */
export interface StepOutcome<T> {
  readonly profile: T | CaptureError;
  /** Undefined when the step was not to take one. */
  readonly snapshot?: T | CaptureError;
}

/**
 * One step of a series as the collector takes it, wherever the captures go (S3, files): a heap profile first (one
 * GC, no snapshot-sized memory), then, if `withSnapshot`, a snapshot when the agent accepts one. A refusal of one
 * kind (503 for memory or disk headroom, sampling or captures disabled) lets the step go on without it; a step that
 * was to take both fails when both were refused. Any other error fails the step.
 */
export async function captureStep<T>(
  capture: (kind: CaptureKind) => Promise<T>,
  withSnapshot = true,
): Promise<StepOutcome<T>> {
  const profile = await refusedOr(() => capture('heapprofile'));
  if (!withSnapshot) return { profile };
  const snapshot = await refusedOr(() => capture('heapsnapshot'));
  if (isRefusal(profile) && isRefusal(snapshot)) throw snapshot;
  return { profile, snapshot };
}

async function refusedOr<T>(capture: () => Promise<T>): Promise<T | CaptureError> {
  try {
    return await capture();
  } catch (error) {
    if (isRefusal(error)) return error;
    throw error;
  }
}
