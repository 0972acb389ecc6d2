import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type CaptureKind, captureFileName } from '@heapwatch/agent/protocol';
import { CaptureError, errorMessage } from './capture-error';
import { openSnapshot } from './open-snapshot';
import { staticSigningKeySource } from './signing-key-source';
import type { SnapshotTimeouts } from './snapshot-request';
import { type CaptureProgress, VerifyingStream } from './verifying-stream';

export interface CaptureToFileOptions {
  /** The agent's admin server, e.g. `http://127.0.0.1:9464` (through a bastion tunnel in AWS). */
  readonly url: string;
  readonly taskId: string;
  /** The Ed25519 private key that signs the tokens: standard base64 of its DER PKCS8 encoding. */
  readonly privateKey: string;
  readonly outDir: string;
  /** @default 'heapsnapshot' */
  readonly kind?: CaptureKind;
  readonly onProgress?: (progress: CaptureProgress) => void;
  readonly timeouts?: SnapshotTimeouts;
  /** @default 300_000 */
  readonly maxBusyWaitMs?: number;
  /** @default the system clock */
  readonly now?: () => Date;
}

export interface SavedSnapshot {
  readonly kind: CaptureKind;
  readonly path: string;
  readonly taskId: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly capturedAt: string;
}

/**
 * Captures one snapshot (or heap profile, `kind`) from a reachable agent into `<outDir>/<taskId>-<iso time>.<kind>`.
 * The file appears only complete and verified; a partial download is removed.
 */
export async function captureToFile(options: CaptureToFileOptions): Promise<SavedSnapshot> {
  const signingKey = staticSigningKeySource(options.privateKey);
  await mkdir(options.outDir, { recursive: true });
  const opened = await openSnapshot({ ...options, signingKey });
  const capturedAt = (options.now ?? (() => new Date()))();
  const kind = options.kind ?? 'heapsnapshot';
  const path = join(options.outDir, captureFileName(options.taskId, capturedAt, kind));
  const partial = `${path}.partial`;
  const verifier = new VerifyingStream(options.taskId, opened.sha256, opened.bytes, options.onProgress);
  try {
    await pipeline(opened.body, verifier, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CaptureError) throw error;
    throw new CaptureError(
      options.taskId,
      'interrupted',
      `the transfer broke after ${verifier.bytes} of ${opened.bytes} bytes (${errorMessage(error)}); the partial file was removed`,
      { cause: error },
    );
  }
  return {
    kind,
    path,
    taskId: options.taskId,
    bytes: opened.bytes,
    sha256: opened.sha256,
    capturedAt: capturedAt.toISOString(),
  };
}
