import { MAX_TOKEN_LIFETIME_SECONDS, signToken } from '@heapwatch/agent/protocol';
import type { Command } from 'commander';

/** `heapwatch sign --task <id> [--ttl 300]`: prints an Authorization header value signed with HEAPWATCH_SECRET. */
export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .description('print an Authorization header value for POST /heap/snapshot, signed with $HEAPWATCH_SECRET')
    .requiredOption('--task <id>', 'the task ID the token is bound to (the agent’s HEAPWATCH_TASK_ID)')
    .option('--ttl <seconds>', `token lifetime, at most ${MAX_TOKEN_LIFETIME_SECONDS}`, '300')
    .addHelpText(
      'after',
      '\nExample:\n  curl -X POST -H "Authorization: $(heapwatch sign --task $TASK)" -o heap.heapsnapshot http://10.0.1.23:9464/heap/snapshot',
    )
    .action((options: { task: string; ttl: string }) => {
      const secret = process.env.HEAPWATCH_SECRET;
      if (!secret) throw new Error('HEAPWATCH_SECRET is not set: export the secret the agent was started with');
      process.stdout.write(`${signToken({ secret, taskId: options.task, ttlSeconds: Number(options.ttl) })}\n`);
    });
}
