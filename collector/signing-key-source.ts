import type { KeyObject } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parsePrivateKey, publicKeyOf } from '@heapwatch/agent/protocol';

/** Where a capture gets the Ed25519 private key it signs tokens with; `invalidate` forces a fresh read. */
export interface SigningKeySource {
  get(): Promise<KeyObject>;
  invalidate(): void;
}

/** A fixed key, e.g. `HEAPWATCH_PRIVATE_KEY` in the environment of the CLI (standard base64 of DER PKCS8). */
export function staticSigningKeySource(privateKey: string, name = 'HEAPWATCH_PRIVATE_KEY'): SigningKeySource {
  const key = parsePrivateKey(privateKey, name);
  return { get: async () => key, invalidate: () => undefined };
}

/**
 * Reads the private key from a Secrets Manager secret (its plain-string AWSCURRENT value) once and keeps it for the
 * life of the process (a Lambda execution environment), so a series of captures costs one API call. The capture
 * invalidates it after a `bad-signature`, so a key changed in place meanwhile is read again. With
 * `expectedPublicKey` (what the agents were given), a secret changed outside heapwatch is reported as such.
 */
export class SecretsManagerSigningKeySource implements SigningKeySource {
  private cached?: Promise<KeyObject>;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly expectedPublicKey?: string,
  ) {}

  get(): Promise<KeyObject> {
    if (!this.cached) {
      this.cached = this.load();
      this.cached.catch(() => this.invalidate());
    }
    return this.cached;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<KeyObject> {
    const value = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    if (value.SecretString === undefined) {
      throw new Error(
        `secret ${this.secretId} is binary: store the signing key as the plain-string base64 of its DER PKCS8 encoding`,
      );
    }
    const key = parsePrivateKey(value.SecretString, `secret ${this.secretId}`);
    if (this.expectedPublicKey !== undefined && publicKeyOf(key) !== this.expectedPublicKey) {
      throw new Error(
        `secret ${this.secretId} no longer holds the signing key whose public key the agents were given (${this.expectedPublicKey}): it was changed outside heapwatch. Rotate to a new key name (signingKeys, docs/operations.md) so agents get the matching public key`,
      );
    }
    return key;
  }
}
