import { parsePrivateKey } from '@heapwatch/agent/protocol';

/**
 * The signing key of `heapwatch sign` and `heapwatch capture --url`: HEAPWATCH_PRIVATE_KEY, the standard base64 of
 * an Ed25519 private key's DER PKCS8 encoding. Checked here so a bad value fails before anything is sent.
 */
export function requiredPrivateKey(env: NodeJS.ProcessEnv): string {
  const value = env.HEAPWATCH_PRIVATE_KEY?.trim();
  if (!value) {
    throw new Error(
      'HEAPWATCH_PRIVATE_KEY is not set: export the signing key whose public key the agent has in HEAPWATCH_PUBLIC_KEYS ' +
        '(in AWS: the secret of heapwatch.signingKey, readable by roles granted grantTokenSigning; locally: `heapwatch keygen`)',
    );
  }
  parsePrivateKey(value);
  return value;
}
