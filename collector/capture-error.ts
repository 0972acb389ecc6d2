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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
