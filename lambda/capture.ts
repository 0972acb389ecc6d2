import { Logger } from '@aws-lambda-powertools/logger';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { CaptureError } from '../collector/capture-error';
import type { SeriesState } from '../collector/series';
import { type CaptureStepDependencies, captureNextStep } from '../collector/series-steps';
import { SecretsManagerSigningKeySource } from '../collector/signing-key-source';

const logger = new Logger({ serviceName: 'heapwatch-collector' });

/** Time kept back to abort the multipart upload and report before Lambda kills the function. */
const ABORT_MARGIN_MS = 30_000;

/** Step Functions task: series state → the same state with one more step (profile, snapshot if accepted) in S3. */
export function createCaptureHandler(deps: CaptureStepDependencies) {
  return async (state: SeriesState, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SeriesState> => {
    const where = {
      cluster: state.cluster,
      ecsService: state.service,
      taskId: state.taskId,
      capture: state.captured + 1,
    };
    const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - ABORT_MARGIN_MS : deps.deadline;
    try {
      const next = await captureNextStep(state, { ...deps, deadline });
      const stored = [...next.profiles, ...next.snapshots].filter((capture) => !isIn(capture, state));
      for (const capture of stored) {
        logger.info(`${capture.kind === 'heapprofile' ? 'profile' : 'snapshot'} stored`, {
          ...where,
          key: capture.key,
          bytes: capture.bytes,
          sha256: capture.sha256,
        });
      }
      const skipped = next.skippedSnapshots.slice(state.skippedSnapshots.length);
      for (const refusal of skipped) logger.warn('snapshot skipped', { ...where, reason: refusal.reason });
      return next;
    } catch (error) {
      logger.error('capture failed', {
        ...where,
        reason: error instanceof CaptureError ? error.reason : 'unexpected',
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  };
}

function isIn(capture: { readonly key: string }, state: SeriesState): boolean {
  return [...state.profiles, ...state.snapshots].some((earlier) => earlier.key === capture.key);
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the SnapshotCollector construct sets it`);
  return value;
}

let configured: ReturnType<typeof createCaptureHandler> | undefined;

export const handler = (state: SeriesState, context: Context): Promise<SeriesState> => {
  configured ??= createCaptureHandler({
    ecs: new ECSClient({}),
    s3: new S3Client({}),
    bucket: requiredEnv('HEAPWATCH_BUCKET'),
    // Read once per execution environment; a rotation to another key name deploys new environments.
    signingKey: new SecretsManagerSigningKeySource(
      new SecretsManagerClient({}),
      requiredEnv('HEAPWATCH_PRIVATE_KEY_ARN'),
      process.env.HEAPWATCH_SIGNING_PUBLIC_KEY || undefined,
    ),
  });
  return configured(state, context);
};
