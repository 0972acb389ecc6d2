import { MAX_TOKEN_LIFETIME_SECONDS, PROFILE_ACTION, SNAPSHOT_ACTION, signToken } from '@heapwatch/agent/protocol';
import type { Command } from 'commander';
import { requiredPrivateKey } from './private-key-env';

const ACTIONS = [SNAPSHOT_ACTION, PROFILE_ACTION];

/**
 * `heapwatch sign --task <id> [--action heap-snapshot|heap-profile] [--ttl 300]`: prints an Authorization header
 * value signed with HEAPWATCH_PRIVATE_KEY.
 */
export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .description(
      'print an Authorization header value for POST /heap/snapshot or /heap/profile, signed with $HEAPWATCH_PRIVATE_KEY',
    )
    .requiredOption('--task <id>', 'the task ID the token is bound to (the agent’s HEAPWATCH_TASK_ID)')
    .option('--action <action>', `what the token allows: ${ACTIONS.join(' or ')}`, SNAPSHOT_ACTION)
    .option('--ttl <seconds>', `token lifetime, at most ${MAX_TOKEN_LIFETIME_SECONDS}`, '300')
    .addHelpText(
      'after',
      '\nExamples:\n  curl -X POST -H "Authorization: $(heapwatch sign --task $TASK)" -o heap.heapsnapshot http://10.0.1.23:9464/heap/snapshot\n' +
        '  curl -X POST -H "Authorization: $(heapwatch sign --task $TASK --action heap-profile)" -o heap.heapprofile http://10.0.1.23:9464/heap/profile',
    )
    .action((options: { task: string; action: string; ttl: string }) => {
      const privateKey = requiredPrivateKey(process.env);
      if (!ACTIONS.includes(options.action)) {
        throw new Error(`--action ${JSON.stringify(options.action)} is unknown: use ${ACTIONS.join(' or ')}`);
      }
      process.stdout.write(
        `${signToken({ privateKey, taskId: options.task, action: options.action, ttlSeconds: Number(options.ttl) })}\n`,
      );
    });
}
