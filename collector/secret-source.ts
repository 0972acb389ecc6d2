import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { assertSecret } from '@heapwatch/agent/protocol';

/** The secrets a token may be signed with: the current one, and during a rotation the previous one. */
export interface SnapshotSecrets {
  readonly current: string;
  readonly previous?: string;
}

/** Where the capture gets its secrets; `invalidate` forces a fresh read after the agent rejected both. */
export interface SecretSource {
  get(): Promise<SnapshotSecrets>;
  invalidate(): void;
}

/** Fixed secrets, e.g. from the environment of the CLI. */
export function staticSecretSource(secrets: SnapshotSecrets): SecretSource {
  assertSecret(secrets.current);
  if (secrets.previous !== undefined) assertSecret(secrets.previous, 'the previous secret');
  return { get: async () => secrets, invalidate: () => undefined };
}

/**
 * Reads AWSCURRENT and AWSPREVIOUS of a plain-string Secrets Manager secret once and keeps them for the life of the
 * process (a Lambda execution environment), so a series of captures costs two API calls, not two per capture.
 */
export class SecretsManagerSecretSource implements SecretSource {
  private cached?: Promise<SnapshotSecrets>;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  get(): Promise<SnapshotSecrets> {
    if (!this.cached) {
      this.cached = this.load();
      this.cached.catch(() => this.invalidate());
    }
    return this.cached;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<SnapshotSecrets> {
    const current = await this.read('AWSCURRENT');
    if (current === undefined) throw new Error(`secret ${this.secretId} has no AWSCURRENT version`);
    assertSecret(current, `secret ${this.secretId} (AWSCURRENT)`);
    const previous = await this.read('AWSPREVIOUS');
    return previous === undefined ? { current } : { current, previous };
  }

  private async read(stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | undefined> {
    try {
      const value = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }));
      if (value.SecretString === undefined) {
        throw new Error(`secret ${this.secretId} (${stage}) is binary: store the snapshot secret as a plain string`);
      }
      return value.SecretString;
    } catch (error) {
      // A secret that was never rotated has no AWSPREVIOUS version.
      if (stage === 'AWSPREVIOUS' && error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
