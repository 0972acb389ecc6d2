import type { CaptureKind } from '@heapwatch/agent/protocol';
import { type CaptureError, isRefusal } from './capture-error';

/** What one step took: each kind captured, or the refusal the step went on without. */
export interface StepOutcome<T> {
  readonly profile: T | CaptureError;
  readonly snapshot: T | CaptureError;
}

/**
 * One step of a series as the collector takes it, wherever the captures go (S3, files): a heap profile first (one
 * GC, no snapshot-sized memory), then a snapshot when the agent accepts one. A refusal of one kind (503 for memory or
 * disk headroom, sampling or captures disabled) lets the step go on without it; the step fails when both were
 * refused, or on any other error.
 */
export async function captureStep<T>(capture: (kind: CaptureKind) => Promise<T>): Promise<StepOutcome<T>> {
  const profile = await refusedOr(() => capture('heapprofile'));
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
