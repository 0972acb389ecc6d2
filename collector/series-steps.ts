import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import { type CaptureToS3Options, captureToS3 } from './capture-to-s3';
import { discoverTasks, longestRunningTask } from './discovery';
import type { SecretSource } from './secret-source';
import { normalizeSeriesRequest, type SeriesRequest, type SeriesState } from './series';

export interface BeginSeriesDependencies {
  readonly ecs: ECSClient;
  /** Admin port of the request's service. */
  readonly adminPortOf: (service: string) => number;
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
  return {
    cluster: normalized.cluster,
    service: normalized.service,
    taskId: task.taskId,
    adminPort: deps.adminPortOf(normalized.service),
    count: normalized.count,
    intervalSeconds: normalized.intervalSeconds,
    reason: normalized.reason,
    startedAt: (deps.now ?? (() => new Date()))().toISOString(),
    captured: 0,
    snapshots: [],
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
  readonly secrets: SecretSource;
}

/** One capture of the series: re-checks the task (still RUNNING, current IP), then streams its snapshot to S3. */
export async function captureNextSnapshot(state: SeriesState, deps: CaptureStepDependencies): Promise<SeriesState> {
  const [task] = await discoverTasks({
    ecs: deps.ecs,
    cluster: state.cluster,
    service: state.service,
    taskIds: [state.taskId],
  });
  const stored = await captureToS3({
    ...deps,
    cluster: state.cluster,
    service: state.service,
    taskId: state.taskId,
    url: `http://${task.privateIp}:${state.adminPort}`,
  });
  return { ...state, captured: state.captured + 1, snapshots: [...state.snapshots, stored] };
}
