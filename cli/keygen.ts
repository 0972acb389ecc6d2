import { generateSigningKeyPair } from '@heapwatch/agent/protocol';
import type { Command } from 'commander';

/** `heapwatch keygen [--json]`: prints a new Ed25519 pair for protocol v2. */
export function registerKeygenCommand(program: Command, stdout: NodeJS.WritableStream = process.stdout): void {
  program
    .command('keygen')
    .description(
      'print a new Ed25519 key pair: the public key goes to agents (HEAPWATCH_PUBLIC_KEYS), the private key to signers (HEAPWATCH_PRIVATE_KEY)',
    )
    .option('--json', 'print {"publicKey","privateKey"} as JSON')
    .addHelpText(
      'after',
      '\nThe private key signs capture tokens: keep it out of services, logs and tickets. In AWS the Heapwatch construct\n' +
        'makes the pair at deploy time and keeps the private key in Secrets Manager; keygen is for local agents and tests.',
    )
    .action((options: { json?: boolean }) => {
      const pair = generateSigningKeyPair();
      stdout.write(
        options.json
          ? `${JSON.stringify(pair)}\n`
          : `HEAPWATCH_PUBLIC_KEYS=${pair.publicKey}\nHEAPWATCH_PRIVATE_KEY=${pair.privateKey}\n`,
      );
    });
}
