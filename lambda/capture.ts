import { Logger } from '@aws-lambda-powertools/logger';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CaptureError } from '../collector/capture-error';
import { SecretsManagerSecretSource } from '../collector/secret-source';
import type { SeriesState } from '../collector/series';
import { type CaptureStepDependencies, captureNextSnapshot } from '../collector/series-steps';

const logger = new Logger({ serviceName: 'heapwatch-collector' });

/** Step Functions task: series state → the same state with one more snapshot in S3. */
export function createCaptureHandler(deps: CaptureStepDependencies) {
  return async (state: SeriesState): Promise<SeriesState> => {
    const where = { cluster: state.cluster, service: state.service, taskId: state.taskId, capture: state.captured + 1 };
    try {
      const next = await captureNextSnapshot(state, deps);
      const stored = next.snapshots[next.snapshots.length - 1];
      logger.info('snapshot stored', { ...where, key: stored.key, bytes: stored.bytes, sha256: stored.sha256 });
      return next;
    } catch (error) {
      logger.error('capture failed', {
        ...where,
        reason: error instanceof CaptureError ? error.reason : 'unexpected',
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the SnapshotCollector construct sets it`);
  return value;
}

let configured: ((state: SeriesState) => Promise<SeriesState>) | undefined;

export const handler = (state: SeriesState): Promise<SeriesState> => {
  configured ??= createCaptureHandler({
    ecs: new ECSClient({}),
    s3: new S3Client({}),
    bucket: requiredEnv('HEAPWATCH_BUCKET'),
    // Cached for the life of the execution environment; AWSPREVIOUS covers a rotation in progress.
    secrets: new SecretsManagerSecretSource(new SecretsManagerClient({}), requiredEnv('HEAPWATCH_SECRET_ARN')),
  });
  return configured(state);
};
