import { Logger } from '@aws-lambda-powertools/logger';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateSigningKeyPair } from '@heapwatch/agent/protocol';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

// ---------------------------------------------------------------------------------------------------------------
// Plain logic: one Ed25519 key pair per secret; the private key goes to Secrets Manager, the public key is returned.
// ---------------------------------------------------------------------------------------------------------------

/**
 * Generates a key pair, stores the private key (standard base64 of DER PKCS8) as the secret's plain-string value
 * and returns the public key (standard base64 of DER SPKI). The private key leaves this function only in the request
 * to Secrets Manager.
 */
export async function writeNewSigningKey(secretsManager: SecretsManagerClient, secretArn: string): Promise<string> {
  const { publicKey, privateKey } = generateSigningKeyPair();
  await secretsManager.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: privateKey }));
  return publicKey;
}

// ---------------------------------------------------------------------------------------------------------------
// Lambda handler (custom resource, called by the CDK Provider framework).
// ---------------------------------------------------------------------------------------------------------------

/** Resource properties set by lib/storage/signing-key.ts. */
export interface SigningKeyProperties {
  /** The secret that receives the private key; the custom resource's function may only PutSecretValue on it. */
  readonly SecretArn: string;
}

export interface SigningKeyResponse {
  /** The public key: a new one means a new pair. */
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly PublicKey: string };
}

export interface HandlerClients {
  readonly secretsManager: SecretsManagerClient;
}

const logger = new Logger({ serviceName: 'heapwatch-signing-key' });

/**
 * Create: a new pair. Update with the same secret: the pair is kept (nothing is generated or written). Update with
 * another secret: a new pair in it (CloudFormation then deletes the old resource). Delete: nothing to do, the secret
 * is a resource of its own.
 */
export function createHandler(clients: HandlerClients) {
  return async (event: CloudFormationCustomResourceEvent): Promise<SigningKeyResponse> => {
    const secretArn = secretArnOf(event.ResourceProperties);
    logger.info('signing key', { requestType: event.RequestType, secretArn });
    if (event.RequestType === 'Delete') {
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    if (event.RequestType === 'Update' && event.OldResourceProperties.SecretArn === secretArn) {
      const publicKey = event.PhysicalResourceId;
      logger.info('signing key kept', { secretArn, publicKey });
      return { PhysicalResourceId: publicKey, Data: { PublicKey: publicKey } };
    }
    const publicKey = await writeNewSigningKey(clients.secretsManager, secretArn);
    logger.info('signing key written', { secretArn, publicKey });
    return { PhysicalResourceId: publicKey, Data: { PublicKey: publicKey } };
  };
}

function secretArnOf(properties: Record<string, unknown>): string {
  const secretArn = properties.SecretArn;
  if (typeof secretArn !== 'string' || secretArn === '') {
    throw new Error(
      `SecretArn: ${JSON.stringify(secretArn)} is not a secret ARN. The SigningKey construct passes its secret's ARN; use that construct.`,
    );
  }
  return secretArn;
}

export const handler = createHandler({ secretsManager: new SecretsManagerClient({}) });
