#!/usr/bin/env node
import { Command } from 'commander';
import { registerCaptureCommand } from '../cli/capture';
import { registerDiffCommand } from '../cli/diff';
import { registerKeygenCommand } from '../cli/keygen';
import { registerSignCommand } from '../cli/sign';

const program = new Command('heapwatch')
  .description('Find memory leaks in Node.js services on AWS ECS Fargate.')
  .showHelpAfterError();

registerSignCommand(program);
registerKeygenCommand(program);
registerCaptureCommand(program);
registerDiffCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`heapwatch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
