import { generateSigningKeyPair, type SigningKeyPair } from '@heapwatch/agent/protocol';

/** The pair a test's agent trusts: it gets `publicKey`, the test signs with `privateKey`. */
export const TEST_KEYS: SigningKeyPair = generateSigningKeyPair();

/** A pair no test agent trusts: tokens it signs are forgeries. */
export const STRANGER_KEYS: SigningKeyPair = generateSigningKeyPair();
