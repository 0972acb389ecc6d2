import { type Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/**
 * aws-local-stepfunctions 3 awaits every Task through `Promise.withResolvers` (Node 22); on Node 20 each Task would
 * fail with a TypeError, which the definition's `Catch` on States.ALL would then take for a failed step.
 */
const promise = Promise as unknown as { withResolvers?: () => unknown };
promise.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const settled = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise: settled, resolve, reject };
};

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A Lambda handler as the runtime calls it for Step Functions: a JSON event in, a JSON-able result (or a throw) out. */
export type LambdaHandler = (event: never) => Promise<unknown>;

export interface LocalHandlers {
  /** Lambda function ARN (see `resolve`) → its handler, called in-process the way Lambda calls it. */
  readonly lambdas: Readonly<Record<string, LambdaHandler>>;
  /** Service integration (`arn:aws:states:::sns:publish`) → a stand-in given the task's evaluated parameters. */
  readonly integrations?: Readonly<Record<string, (parameters: JsonValue) => Promise<JsonValue>>>;
  /** Wait state name → how long it waits, in milliseconds. @default - as long as the definition says */
  readonly waitMs?: Readonly<Record<string, number>>;
}

export interface LocalExecution {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** States entered, in order (a retry of a state is in `retries`, not here). */
  readonly visited: readonly string[];
  /** Each retry of a state by its `Retry` field: the error retried and the pause before the new attempt. */
  readonly retries: readonly { readonly state: string; readonly error: string; readonly pauseMs: number }[];
}

const PSEUDO_PARAMETERS = { 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' } as const;
/** Lambda's timeout when a function sets none. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/**
 * The state machine of a CDK stack as deployed, run on aws-local-stepfunctions (a States Language engine: Retry,
 * Catch, Parameters, ResultSelector, intrinsic functions) with every Task answered in-process. Tokens in the
 * definition become stable fake values: a Lambda function's ARN ends in `function:<logical id>`, a topic's in
 * `:<logical id>`.
 */
export class LocalStateMachine {
  /** The only state machine of `stack`. */
  static fromStack(stack: Stack): LocalStateMachine {
    return new LocalStateMachine(stack);
  }

  /** The definition as synthesized, its tokens resolved. */
  readonly definition: StateMachineDefinition;
  private readonly resources: Resources;
  private readonly region: string;
  private readonly account: string;

  private constructor(private readonly stack: Stack) {
    this.resources = Template.fromStack(stack).toJSON().Resources as Resources;
    this.region = Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region;
    this.account = Token.isUnresolved(stack.account) ? '123456789012' : stack.account;
    const machines = Object.values(this.resources).filter(
      (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
    );
    if (machines.length !== 1) throw new Error(`the stack has ${machines.length} state machines, not 1`);
    this.definition = JSON.parse(this.resolveValue(machines[0].Properties?.DefinitionString)) as StateMachineDefinition;
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Map' || state.Type === 'Parallel') {
        throw new Error(`state ${name} is a ${state.Type}: its nested Task states would reach AWS; wire them first`);
      }
    }
  }

  /** The fake value the definition holds for a token of the stack, e.g. `resolve(fn.functionArn)`. */
  resolve(token: string): string {
    return this.resolveValue(this.stack.resolve(token));
  }

  /** One execution of the definition on `input` (any JSON value). */
  async run(input: unknown, handlers: LocalHandlers): Promise<LocalExecution> {
    const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    // Not structuredClone: under jest its objects come from another realm, and the engine evaluates the Parameters of
    // nested objects only when they are plain objects of its own realm.
    const definition = JSON.parse(JSON.stringify(this.definition)) as StateMachineDefinition;
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const lambda = handlers.lambdas[state.Resource];
      const integration = handlers.integrations?.[state.Resource];
      if (lambda) {
        taskResourceLocalHandlers[name] = asLambda(lambda);
        // The engine ends a Task without TimeoutSeconds after 60 s; in AWS it runs as long as the function may.
        if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
          state.TimeoutSeconds = this.functionTimeoutSeconds(state.Resource);
        }
      } else if (integration) {
        taskResourceLocalHandlers[name] = integration;
      } else {
        throw new Error(`no local handler for state ${name} (${state.Resource}): the engine would call AWS`);
      }
    }
    const execution = new StateMachine(definition).run(input as JsonValue, {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides: { ...handlers.waitMs } },
    });
    let output: unknown;
    try {
      output = await execution.result;
    } catch {
      // The event log below says how it ended.
    }
    const events: EventLog[] = [];
    for await (const event of execution.eventLogs) events.push(event);
    return { ...outcome(events, output), ...history(events) };
  }

  private functionTimeoutSeconds(arn: string): number {
    const logicalId = arn.slice(arn.lastIndexOf(':') + 1);
    const timeout = this.resources[logicalId]?.Properties?.Timeout;
    return typeof timeout === 'number' ? timeout : LAMBDA_DEFAULT_TIMEOUT_SECONDS;
  }

  private resolveValue(value: unknown): string {
    if (typeof value === 'string') return value;
    const intrinsic = (value ?? {}) as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: string[] };
    if (intrinsic['Fn::Join']) {
      const [separator, parts] = intrinsic['Fn::Join'];
      return parts.map((part) => this.resolveValue(part)).join(separator);
    }
    const ref = intrinsic.Ref;
    if (ref === 'AWS::Region') return this.region;
    if (ref === 'AWS::AccountId') return this.account;
    if (ref !== undefined && ref in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[ref as keyof typeof PSEUDO_PARAMETERS];
    if (ref !== undefined && this.resources[ref]?.Type === 'AWS::SNS::Topic') {
      return `arn:aws:sns:${this.region}:${this.account}:${ref}`;
    }
    const [logicalId, attribute] = intrinsic['Fn::GetAtt'] ?? [];
    if (attribute === 'Arn' && this.resources[logicalId]?.Type === 'AWS::Lambda::Function') {
      return `arn:aws:lambda:${this.region}:${this.account}:function:${logicalId}`;
    }
    // What an ecs:runTask step names: its cluster, task definition, subnets and security groups.
    if (attribute === 'Arn' && this.resources[logicalId]?.Type === 'AWS::ECS::Cluster') {
      return `arn:aws:ecs:${this.region}:${this.account}:cluster/${logicalId}`;
    }
    if (attribute === 'GroupId' && this.resources[logicalId]?.Type === 'AWS::EC2::SecurityGroup') {
      return `sg-${logicalId}`;
    }
    const referenced = ref === undefined ? undefined : this.resources[ref]?.Type;
    if (referenced === 'AWS::ECS::TaskDefinition') {
      return `arn:aws:ecs:${this.region}:${this.account}:task-definition/${ref}:1`;
    }
    if (referenced === 'AWS::EC2::Subnet') return `subnet-${ref}`;
    throw new Error(`no fake value for ${JSON.stringify(value)}: add one to LocalStateMachine`);
  }
}

/**
 * As Lambda runs a handler for Step Functions: the event and the result cross as JSON, and a thrown error reaches the
 * state machine as Error = its name, Cause = `{"errorType","errorMessage","trace"}`.
 */
function asLambda(handler: LambdaHandler): (input: JsonValue) => Promise<JsonValue> {
  return async (input) => {
    try {
      const result = await handler(JSON.parse(JSON.stringify(input)) as never);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue);
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const failure = new Error(
        JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') ?? [] }),
      );
      failure.name = error.name;
      throw failure;
    }
  };
}

function outcome(
  events: readonly EventLog[],
  output: unknown,
): Pick<LocalExecution, 'status' | 'output' | 'error' | 'cause'> {
  const end = events[events.length - 1];
  switch (end?.type) {
    case 'ExecutionSucceeded':
      return { status: 'SUCCEEDED', output };
    case 'ExecutionFailed':
      return { status: 'FAILED', error: end.Error, cause: String(end.Cause) };
    case 'ExecutionTimeout':
      return { status: 'TIMED_OUT' };
    default:
      return { status: 'ABORTED' };
  }
}

function history(events: readonly EventLog[]): Pick<LocalExecution, 'visited' | 'retries'> {
  const visited: string[] = [];
  const retries: { state: string; error: string; pauseMs: number }[] = [];
  let failed: { error: string; at: number } | undefined;
  for (const event of events) {
    if (event.type === 'StateEntered') visited.push(event.state.name);
    if (event.type === 'StateFailed') failed = { error: event.Error, at: event.timestamp };
    if (event.type === 'StateRetried') {
      retries.push({
        state: event.state.name,
        error: failed?.error ?? '',
        pauseMs: event.timestamp - (failed?.at ?? 0),
      });
    }
  }
  return { visited, retries };
}
