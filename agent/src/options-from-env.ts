import { type AdminServer, startAdminServer } from './admin-server';
import type { AdminServerOptions } from './options';
import { assertPort } from './options';
import { parsePublicKeys, splitKeyList } from './protocol/keys';
import { type ResolveTaskIdOptions, resolveTaskId } from './task-id';

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function optionalNumber(env: NodeJS.ProcessEnv, name: string, hint: string): number | undefined {
  const text = optional(env, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${name}=${JSON.stringify(text)} is not a number: ${hint}`);
  return value;
}

function optionalSwitch(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const text = optional(env, name)?.toLowerCase();
  if (text === undefined) return undefined;
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new Error(`${name}=${JSON.stringify(env[name])} is invalid: use on or off`);
}

/** The public keys of HEAPWATCH_PUBLIC_KEYS, checked; undefined when it is unset or empty. */
function publicKeysFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const list = optional(env, 'HEAPWATCH_PUBLIC_KEYS');
  if (list === undefined) return undefined;
  parsePublicKeys(list);
  const keys = splitKeyList(list);
  return keys.length === 0 ? undefined : keys;
}

/**
 * Admin server options from the environment: HEAPWATCH_PUBLIC_KEYS (comma-separated), HEAPWATCH_TASK_ID
 * (else ECS task metadata v4, else the hostname), HEAPWATCH_ADMIN_PORT, HEAPWATCH_ADMIN_HOST, HEAPWATCH_ADMIN_PATH,
 * HEAPWATCH_SNAPSHOT_DIR, HEAPWATCH_CAPTURE_MEMORY_FACTOR, HEAPWATCH_CAPTURE_DISK_FACTOR, HEAPWATCH_HEAP_SAMPLING
 * (`on`/`off`), HEAPWATCH_HEAP_SAMPLING_INTERVAL (bytes).
 */
export async function adminServerOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveTaskIdOptions = {},
): Promise<AdminServerOptions> {
  const port = optionalNumber(env, 'HEAPWATCH_ADMIN_PORT', 'use a port number such as 9464');
  if (port !== undefined) assertPort('HEAPWATCH_ADMIN_PORT', port);
  return {
    publicKeys: publicKeysFromEnv(env),
    taskId: await resolveTaskId(env, options),
    port,
    host: optional(env, 'HEAPWATCH_ADMIN_HOST'),
    pathPrefix: optional(env, 'HEAPWATCH_ADMIN_PATH'),
    snapshotDir: optional(env, 'HEAPWATCH_SNAPSHOT_DIR'),
    captureMemoryFactor: optionalNumber(
      env,
      'HEAPWATCH_CAPTURE_MEMORY_FACTOR',
      'use a multiple of heapUsed such as 12',
    ),
    captureDiskFactor: optionalNumber(env, 'HEAPWATCH_CAPTURE_DISK_FACTOR', 'use a multiple of heapUsed such as 3'),
    heapSampling: optionalSwitch(env, 'HEAPWATCH_HEAP_SAMPLING'),
    heapSamplingIntervalBytes: optionalNumber(
      env,
      'HEAPWATCH_HEAP_SAMPLING_INTERVAL',
      'use a number of bytes such as 2097152',
    ),
    logger: options.logger,
  };
}

/**
 * Starts the admin server configured by the environment that `Heapwatch.watch()` gives a task: the one call a
 * service makes. `overrides` win over the environment (a logger, a snapshot directory).
 */
export async function startAdminServerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<AdminServerOptions> = {},
): Promise<AdminServer> {
  const fromEnv = await adminServerOptionsFromEnv(env, { logger: overrides.logger });
  return startAdminServer({ ...fromEnv, ...definedOnly(overrides) });
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
