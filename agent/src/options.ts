import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { parsePublicKey } from './protocol/keys';
import { assertTaskId } from './protocol/token';
import type { HeadroomOptions } from './snapshot/headroom';

/** Where the agent writes its few log lines; never given a token. */
export interface AgentLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** What the admin endpoints need, whether on their own port or mounted in an existing app. */
export interface AdminHandlerOptions extends HeadroomOptions {
  /**
   * Ed25519 public keys that verify capture tokens, each the standard base64 of its DER SPKI encoding (the
   * "public key" line of `heapwatch keygen`); several during a rotation. The agent never needs a private key.
   * @default - captures disabled (503 `disabled`)
   */
  readonly publicKeys?: readonly string[];
  /** This task's id; tokens are bound to it. @default - the hostname */
  readonly taskId?: string;
  /**
   * Directory for the spooled snapshot file.
   * @default - a private `heapwatch-<pid>-XXXXXX` directory under os.tmpdir(); dead agents' ones are swept
   */
  readonly snapshotDir?: string;
  /** Registry served at `/metrics`; pass prom-client's global `register` to include your own metrics. @default - a new registry */
  readonly registry?: Registry;
  /** Set to false when `registry` already collects prom-client's default metrics. @default true */
  readonly collectDefaultMetrics?: boolean;
  /** Also serve prom-client's active handles/requests/resources metrics (nothing in heapwatch reads them). @default false */
  readonly activeHandleMetrics?: boolean;
  /**
   * Run V8's sampling heap profiler, which `POST /heap/profile` reads (503 `disabled` when off).
   * @default true
   */
  readonly heapSampling?: boolean;
  /** Average bytes allocated between two samples. @default 2097152 (2 MiB; see docs/agent.md "Heap profiles") */
  readonly heapSamplingIntervalBytes?: number;
  /** Prefix of the admin paths, e.g. '/_heapwatch' when mounted in an app. @default '' */
  readonly pathPrefix?: string;
  /** @default console */
  readonly logger?: AgentLogger;
}

export interface AdminServerOptions extends AdminHandlerOptions {
  /** 0 picks a free port. @default 9464 */
  readonly port?: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** Time a client has to send its request headers (slow clients get 408). @default 10000 */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send its whole request. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Idle time after which a connection is closed, also mid-download. @default 60000 */
  readonly socketIdleTimeoutMs?: number;
  /** Larger request headers get 431. @default 8192 */
  readonly maxHeaderSizeBytes?: number;
  /**
   * Open connections the admin port takes at most; past it, new connections are closed as they arrive (the
   * scraper and the collector retry). Its clients are one Prometheus, the collector and a health check. @default 32
   */
  readonly maxConnections?: number;
}

export const DEFAULT_ADMIN_PORT = 9464;
export const DEFAULT_MAX_CONNECTIONS = 32;

/** A hostname made fit to be a task id (ids are part of file names and S3 keys). */
export function taskIdFromHostname(name: string = hostname()): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
  return cleaned === '' ? 'unknown-task' : cleaned;
}

function assertPositive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new Error(`${name} ${value} is invalid: use a positive number`);
  }
}

export function assertPort(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${name} ${value} is invalid: use a whole number from 0 to 65535 (0 picks a free port)`);
  }
}

/** Throws on options that would make the agent insecure or broken, naming the option and the fix. */
export function validateHandlerOptions(options: AdminHandlerOptions): void {
  options.publicKeys?.forEach((key, index) => {
    parsePublicKey(key, `publicKeys[${index}] (HEAPWATCH_PUBLIC_KEYS)`);
  });
  if (options.taskId !== undefined) assertTaskId(options.taskId);
  assertPositive('captureMemoryFactor', options.captureMemoryFactor);
  assertPositive('captureDiskFactor', options.captureDiskFactor);
  const interval = options.heapSamplingIntervalBytes;
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1024 && interval <= 2 ** 30)) {
    throw new Error(
      `heapSamplingIntervalBytes (HEAPWATCH_HEAP_SAMPLING_INTERVAL) ${interval} is invalid: use a whole number of ` +
        'bytes from 1024 to 1073741824, such as 2097152',
    );
  }
  const prefix = options.pathPrefix ?? '';
  if (prefix !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) {
    throw new Error(`pathPrefix ${JSON.stringify(prefix)} is invalid: use '' or a path like '/_heapwatch'`);
  }
}

export function validateServerOptions(options: AdminServerOptions): void {
  validateHandlerOptions(options);
  assertPort('port', options.port ?? DEFAULT_ADMIN_PORT);
  assertPositive('headersTimeoutMs', options.headersTimeoutMs);
  assertPositive('requestTimeoutMs', options.requestTimeoutMs);
  assertPositive('socketIdleTimeoutMs', options.socketIdleTimeoutMs);
  assertPositive('maxHeaderSizeBytes', options.maxHeaderSizeBytes);
  assertPositive('maxConnections', options.maxConnections);
  const headers = options.headersTimeoutMs ?? 10_000;
  const request = options.requestTimeoutMs ?? 30_000;
  if (headers > request) {
    throw new Error(`headersTimeoutMs ${headers} is longer than requestTimeoutMs ${request}: make it shorter or equal`);
  }
}
