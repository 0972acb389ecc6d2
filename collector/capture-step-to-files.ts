import { isRefusal } from './capture-error';
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

/**
 * One step of a series into files, as the collector takes it: a heap profile first (one GC, no snapshot-sized
 * memory), then a snapshot when the agent accepts one. Fails only when both were refused, or on any other error.
 */
export async function captureStepToFiles(
  options: Omit<CaptureToFileOptions, 'kind' | 'onProgress'>,
  onSnapshotProgress?: (progress: CaptureProgress) => void,
): Promise<CapturedStep> {
  const refusals: { kind: SavedSnapshot['kind']; reason: string; message: string }[] = [];
  const attempt = async (kind: SavedSnapshot['kind']): Promise<SavedSnapshot | undefined> => {
    try {
      return await captureToFile({
        ...options,
        kind,
        onProgress: kind === 'heapsnapshot' ? onSnapshotProgress : undefined,
      });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      refusals.push({ kind, reason: error.reason, message: error.message });
      if (refusals.length === 2) throw error;
      return undefined;
    }
  };
  const profile = await attempt('heapprofile');
  const snapshot = await attempt('heapsnapshot');
  return { profile, snapshot, refusals };
}
