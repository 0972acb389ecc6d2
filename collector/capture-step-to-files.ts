import { CaptureError } from './capture-error';
import { captureStep } from './capture-step';
import { type CaptureToFileOptions, captureToFile, type SavedSnapshot } from './capture-to-file';
import type { CaptureProgress } from './verifying-stream';

export interface CapturedStep {
  /** Present unless the agent refused it (sampling off). */
  readonly profile?: SavedSnapshot;
  /** Present when the agent had room for it. */
  readonly snapshot?: SavedSnapshot;
  /** Why a capture of this step was refused, in the agent's words with the fix. */
  readonly refusals: readonly {
    readonly kind: SavedSnapshot['kind'];
    readonly reason: string;
    readonly message: string;
  }[];
}

/** One step of a series into files, as the collector takes it (see captureStep). */
export async function captureStepToFiles(
  options: Omit<CaptureToFileOptions, 'kind' | 'onProgress'>,
  onSnapshotProgress?: (progress: CaptureProgress) => void,
): Promise<CapturedStep> {
  const { profile, snapshot } = await captureStep((kind) =>
    captureToFile({ ...options, kind, onProgress: kind === 'heapsnapshot' ? onSnapshotProgress : undefined }),
  );
  const outcomes = [
    ['heapprofile', profile],
    ['heapsnapshot', snapshot],
  ] as const;
  const refusals = outcomes.flatMap(([kind, outcome]) =>
    outcome instanceof CaptureError ? [{ kind, reason: outcome.reason, message: outcome.message }] : [],
  );
  return {
    profile: profile instanceof CaptureError ? undefined : profile,
    snapshot: snapshot instanceof CaptureError ? undefined : snapshot,
    refusals,
  };
}
