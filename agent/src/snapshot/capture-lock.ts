/**
 * One capture per process: the heap is a process-wide resource, so the lock is too, even when both an admin
 * server and a mounted handler run in the same process. Held from the decision to capture until the last byte of
 * the spooled file is handed to the response (or the client is gone); the file is deleted after.
 */
let heldSince: number | undefined;
let lastHoldMs = 30_000;

export type ReleaseCapture = () => void;

export function tryAcquireCapture(): ReleaseCapture | undefined {
  if (heldSince !== undefined) return undefined;
  const since = Date.now();
  heldSince = since;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    lastHoldMs = Date.now() - since;
    heldSince = undefined;
  };
}

/** Seconds a refused client should wait: what the last capture took, minus the time this one already ran. */
export function captureRetryAfterSeconds(): number {
  const elapsed = heldSince === undefined ? 0 : Date.now() - heldSince;
  return Math.max(1, Math.ceil((lastHoldMs - elapsed) / 1000));
}
