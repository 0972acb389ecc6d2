/** Why a capture of one task failed; each has its own fix, named in the message. */
export type CaptureFailureReason =
  | 'not-found'
  | 'not-running'
  | 'no-network-interface'
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'busy'
  | 'insufficient-memory'
  | 'insufficient-disk'
  | 'disabled'
  | 'bad-response'
  | 'interrupted'
  | 'checksum-mismatch'
  | 'upload-failed';

/** A failure that names the task and what happened, so the on-call does not have to dig through logs. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';

  constructor(
    readonly taskId: string,
    readonly reason: CaptureFailureReason,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`task ${taskId}: ${message}`, options);
  }
}

/**
 * Refusals that leave the task as it was: no room for a snapshot, or captures of that kind turned off. A series
 * goes on without that capture; anything else is a failure.
 */
export function isRefusal(error: unknown): error is CaptureError {
  return (
    error instanceof CaptureError &&
    (error.reason === 'insufficient-memory' || error.reason === 'insufficient-disk' || error.reason === 'disabled')
  );
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
