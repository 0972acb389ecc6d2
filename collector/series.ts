import { assertTaskId, taskPrefix } from '@heapwatch/agent/protocol';
import type { StoredCapture } from './capture-to-s3';
import { pickForDiff } from './leak-report';

/** Execution input of the collector's state machine (from an alert or `heapwatch capture`). */
export interface SeriesRequest {
  readonly cluster: string;
  readonly service: string;
  /** @default - the longest-running task of the service */
  readonly taskId?: string;
  /** @default 3 */
  readonly count?: number;
  /** @default 300 */
  readonly intervalSeconds?: number;
  /** Why the series was started, for the report (`alert HeapwatchLeakSuspected`, `manual`). */
  readonly reason?: string;
}

/** The state passed between the steps of one series; every step returns it updated. */
export interface SeriesState {
  readonly cluster: string;
  readonly service: string;
  readonly taskId: string;
  readonly adminPort: number;
  /** Prefix of the admin paths (`''` for the admin server). */
  readonly adminPath?: string;
  readonly count: number;
  readonly intervalSeconds: number;
  readonly reason: string;
  readonly startedAt: string;
  /** Steps done so far; each takes a heap profile, and a snapshot when the agent accepts one. */
  readonly captured: number;
  readonly snapshots: readonly StoredCapture[];
  readonly profiles: readonly StoredCapture[];
  /** Steps whose snapshot the agent refused (too little headroom, disabled); the series went on with profiles. */
  readonly skippedSnapshots: readonly SkippedCapture[];
}

/** A capture a step went without, and why, for the report. */
export interface SkippedCapture {
  /** 1-based step of the series. */
  readonly step: number;
  readonly reason: string;
  readonly message: string;
}

export const DEFAULT_SNAPSHOT_COUNT = 3;
export const DEFAULT_INTERVAL_SECONDS = 300;
export const MAX_SNAPSHOT_COUNT = 10;
/** Step Functions Wait states accept up to a year; a leak series longer than a day makes no sense. */
export const MAX_INTERVAL_SECONDS = 86_400;
/** The state machine times out after 24 hours; the waits of a series must leave room for captures and analysis. */
export const MAX_SERIES_WAIT_SECONDS = 20 * 3600;

/** Validates a request and applies defaults once. */
export function normalizeSeriesRequest(request: SeriesRequest): Required<Omit<SeriesRequest, 'taskId'>> & {
  readonly taskId?: string;
} {
  const count = request.count ?? DEFAULT_SNAPSHOT_COUNT;
  const intervalSeconds = request.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  if (!Number.isInteger(count) || count < 2 || count > MAX_SNAPSHOT_COUNT) {
    throw new Error(
      `count ${count} is invalid: a diff needs 2 to ${MAX_SNAPSHOT_COUNT} snapshots (3 is a good default)`,
    );
  }
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 0 || intervalSeconds > MAX_INTERVAL_SECONDS) {
    throw new Error(`interval ${intervalSeconds} s is invalid: use whole seconds from 0 to ${MAX_INTERVAL_SECONDS}`);
  }
  if ((count - 1) * intervalSeconds > MAX_SERIES_WAIT_SECONDS) {
    throw new Error(
      `${count} snapshots ${intervalSeconds} s apart take ${((count - 1) * intervalSeconds) / 3600} h: keep a series under ${MAX_SERIES_WAIT_SECONDS / 3600} h (the state machine times out after 24 h)`,
    );
  }
  if (request.taskId !== undefined) assertTaskId(request.taskId);
  taskPrefix(request.cluster, request.service, request.taskId ?? 'any');
  return { ...request, count, intervalSeconds, reason: request.reason ?? 'manual' };
}

/**
 * Whether a step of a series takes a snapshot: only the steps whose snapshot the diff uses (first, middle and last,
 * see pickForDiff) do, since a snapshot freezes the task for seconds and needs several times its heap in memory.
 * Every step takes a heap profile.
 */
export function takesSnapshot(step: number, count: number): boolean {
  return pickForDiff(Array.from({ length: count }, (_, index) => index + 1)).includes(step);
}

export interface ReportKeys {
  readonly json: string;
  readonly md: string;
  readonly html: string;
}

/** A series' id in keys: when it started, as capture names write times (`2026-11-27T01-02-03.456Z`). */
export function seriesId(startedAt: string): string {
  const time = new Date(startedAt);
  if (Number.isNaN(time.getTime())) throw new Error(`startedAt ${JSON.stringify(startedAt)} is not a time`);
  return time.toISOString().replace(/:/g, '-');
}

/** The folder of one series' own objects: `<cluster>/<service>/<task>/series-<started at>/`. */
export function seriesPrefix(cluster: string, service: string, taskId: string, startedAt: string): string {
  return `${taskPrefix(cluster, service, taskId)}series-${seriesId(startedAt)}/`;
}

/** Where the report of one series lands (its folder), so a later series of the same task never overwrites it. */
export function reportKeys(cluster: string, service: string, taskId: string, startedAt: string): ReportKeys {
  const prefix = seriesPrefix(cluster, service, taskId, startedAt);
  return { json: `${prefix}report.json`, md: `${prefix}report.md`, html: `${prefix}report.html` };
}

/** The pointer to a task's latest report: `<cluster>/<service>/<task>/latest-report.json`. */
export function latestReportKey(cluster: string, service: string, taskId: string): string {
  return `${taskPrefix(cluster, service, taskId)}latest-report.json`;
}
