/**
 * Runs the subset of the Amazon States Language the collector's state machine uses (Task, Wait, Choice, Succeed,
 * Fail; ResultPath; Catch on States.ALL), so a test can drive the synthesized definition with the real handlers.
 * Task errors become `{ Error, Cause }` the way Lambda reports them to Step Functions.
 */
export interface AslState {
  readonly Type: 'Task' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';
  readonly Next?: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ResultPath?: string | null;
  readonly Catch?: { ErrorEquals: string[]; ResultPath?: string; Next: string }[];
  readonly SecondsPath?: string;
  readonly Choices?: { Variable: string; NumericLessThanPath?: string; IsPresent?: boolean; Next: string }[];
  readonly Default?: string;
  readonly ErrorPath?: string;
  readonly CausePath?: string;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}

export interface AslRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly visited: string[];
}

type Json = Record<string, unknown>;

function read(data: unknown, path: string): unknown {
  if (path === '$') return data;
  return path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<unknown>((value, key) => (value as Json | undefined)?.[key], data);
}

function write(data: unknown, path: string | null | undefined, result: unknown): unknown {
  if (path === null) return data;
  if (path === undefined || path === '$') return result;
  const keys = path.replace(/^\$\./, '').split('.');
  const copy = structuredClone(data) as Json;
  let cursor = copy;
  for (const key of keys.slice(0, -1)) {
    cursor[key] ??= {};
    cursor = cursor[key] as Json;
  }
  cursor[keys[keys.length - 1]] = result;
  return copy;
}

export async function runAsl(
  definition: AslDefinition,
  input: unknown,
  invoke: (resource: string, input: unknown, state: AslState) => Promise<unknown>,
  wait: (seconds: number) => Promise<void>,
): Promise<AslRun> {
  const visited: string[] = [];
  let name = definition.StartAt;
  let data = input;
  for (let steps = 0; steps < 100; steps += 1) {
    const state = definition.States[name];
    if (!state) throw new Error(`the definition has no state ${name}`);
    visited.push(name);
    switch (state.Type) {
      case 'Task':
        try {
          data = write(data, state.ResultPath, await invoke(state.Resource ?? '', data, state));
          name = state.Next ?? '';
        } catch (thrown) {
          const error = thrown instanceof Error ? thrown : new Error(String(thrown));
          const handler = state.Catch?.find(
            (c) => c.ErrorEquals.includes('States.ALL') || c.ErrorEquals.includes(error.name),
          );
          if (!handler) return { status: 'FAILED', error: error.name, cause: error.message, visited };
          const cause = JSON.stringify({ errorType: error.name, errorMessage: error.message });
          data = write(data, handler.ResultPath, { Error: error.name, Cause: cause });
          name = handler.Next;
        }
        break;
      case 'Wait':
        await wait(Number(read(data, state.SecondsPath ?? '$')));
        name = state.Next ?? '';
        break;
      case 'Choice': {
        const choice = state.Choices?.find((rule) =>
          rule.NumericLessThanPath !== undefined
            ? Number(read(data, rule.Variable)) < Number(read(data, rule.NumericLessThanPath))
            : rule.IsPresent !== undefined && (read(data, rule.Variable) !== undefined) === rule.IsPresent,
        );
        name = choice?.Next ?? state.Default ?? '';
        break;
      }
      case 'Succeed':
        return { status: 'SUCCEEDED', output: data, visited };
      case 'Fail':
        return {
          status: 'FAILED',
          error: state.ErrorPath ? String(read(data, state.ErrorPath)) : undefined,
          cause: state.CausePath ? String(read(data, state.CausePath)) : undefined,
          visited,
        };
    }
  }
  throw new Error('the state machine ran more than 100 steps');
}
