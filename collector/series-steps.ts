import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import { CaptureError } from './capture-error';
import { captureStep } from './capture-step';
import { type CaptureToS3Options, captureToS3, type StoredCapture } from './capture-to-s3';
import { discoverTasks, longestRunningTask } from './discovery';
import { normalizeSeriesRequest, type SeriesRequest, type SeriesState, takesSnapshot } from './series';
import type { SigningKeySource } from './signing-key-source';
import type { AdminEndpoint } from './watched-service';

export interface BeginSeriesDependencies {
  readonly ecs: ECSClient;
  /** Where the agents of the request's service answer (its heapwatch tags: adminEndpointOf). */
  readonly adminEndpointOf: (cluster: string, service: string) => Promise<AdminEndpoint>;
  readonly now?: () => Date;
}

/** First step: validates the request, finds the task (or picks the longest-running one) and opens the state. */
export async function beginSeries(request: SeriesRequest, deps: BeginSeriesDependencies): Promise<SeriesState> {
  const normalized = normalizeSeriesRequest(request);
  const tasks = await discoverTasks({
    ecs: deps.ecs,
    cluster: normalized.cluster,
    service: normalized.service,
    taskIds: normalized.taskId === undefined ? undefined : [normalized.taskId],
  });
  const task = normalized.taskId === undefined ? longestRunningTask(tasks) : tasks[0];
  const { adminPort, adminPath } = await deps.adminEndpointOf(normalized.cluster, normalized.service);
  return {
    cluster: normalized.cluster,
    service: normalized.service,
    taskId: task.taskId,
    adminPort,
    adminPath,
    count: normalized.count,
    intervalSeconds: normalized.intervalSeconds,
    reason: normalized.reason,
    startedAt: (deps.now ?? (() => new Date()))().toISOString(),
    captured: 0,
    snapshots: [],
    profiles: [],
    skippedSnapshots: [],
  };
}

export interface CaptureStepDependencies
  extends Pick<
    CaptureToS3Options,
    'timeouts' | 'maxBusyWaitMs' | 'partSizeBytes' | 'queueSize' | 'now' | 'sleep' | 'deadline'
  > {
  readonly ecs: ECSClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly signingKey: SigningKeySource;
}

/**
 * One step of the series: re-checks the task (still RUNNING, current IP), then streams a heap profile and, on the
 * steps whose snapshot the diff uses (takesSnapshot) and when the agent accepts one, a snapshot to S3. A profile
 * costs one GC and no snapshot-sized memory, so every step has one; a snapshot refused for headroom does not end the
 * series. A snapshot step fails only when it captured nothing.
 */
export async function captureNextStep(state: SeriesState, deps: CaptureStepDependencies): Promise<SeriesState> {
  const [task] = await discoverTasks({
    ecs: deps.ecs,
    cluster: state.cluster,
    service: state.service,
    taskIds: [state.taskId],
  });
  const step = state.captured + 1;
  const capture = (kind: StoredCapture['kind']) =>
    captureToS3({
      ...deps,
      kind,
      cluster: state.cluster,
      service: state.service,
      taskId: state.taskId,
      url: `http://${task.privateIp}:${state.adminPort}${state.adminPath ?? ''}`,
    });
  const { profile, snapshot } = await captureStep(capture, takesSnapshot(step, state.count));
  return {
    ...state,
    captured: step,
    snapshots:
      snapshot === undefined || snapshot instanceof CaptureError ? state.snapshots : [...state.snapshots, snapshot],
    profiles: profile instanceof CaptureError ? state.profiles : [...state.profiles, profile],
    skippedSnapshots:
      snapshot instanceof CaptureError
        ? [...state.skippedSnapshots, { step, reason: snapshot.reason, message: snapshot.message }]
        : state.skippedSnapshots,
  };
}
