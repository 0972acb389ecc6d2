import { setImmediate } from 'node:timers/promises';
import {
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';

export interface SimulatedExecution {
  readonly name: string;
  readonly arn: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'ABORTED';
}

/**
 * Step Functions mocked at the SDK boundary with the semantics that matter for duplicates: execution names are unique
 * per state machine, a repeat with the same name and input while running returns the same execution, anything else
 * is ExecutionAlreadyExists. Every call yields to the event loop so concurrent callers interleave.
 */
export function simulateStepFunctions(stateMachineArn: string) {
  const mock = mockClient(SFNClient);
  const executions = new Map<string, SimulatedExecution>();
  mock.on(StartExecutionCommand).callsFake(async (input: { name: string; input: string }) => {
    await setImmediate();
    const existing = executions.get(input.name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input.input) return { executionArn: existing.arn };
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${existing.arn}'`, $metadata: {} });
    }
    const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`;
    executions.set(input.name, { name: input.name, arn, input: input.input, status: 'RUNNING' });
    return { executionArn: arn, startDate: new Date() };
  });
  mock.on(ListExecutionsCommand).callsFake(async () => {
    await setImmediate();
    const running = [...executions.values()].filter((execution) => execution.status === 'RUNNING');
    return { executions: running.map((execution) => ({ name: execution.name, executionArn: execution.arn })) };
  });
  mock.on(StopExecutionCommand).callsFake(async (input: { executionArn: string }) => {
    await setImmediate();
    for (const execution of executions.values()) if (execution.arn === input.executionArn) execution.status = 'ABORTED';
    return { stopDate: new Date() };
  });
  return { mock, executions, client: new SFNClient({ region: 'us-east-1' }) };
}
