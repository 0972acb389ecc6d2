import { Fn, Token } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { HeapwatchValidationError } from '../validation-error';
import { SigningKey } from './signing-key';

/** The name of the signing key a `Heapwatch` starts with. */
export const DEFAULT_SIGNING_KEY_NAME = 'initial';

const KEY_NAME = /^[A-Za-z0-9-]{1,32}$/;

/**
 * Which signing keys exist, by name. A name is the identity of a key pair: the same name keeps the same pair across
 * deploys, a new name makes a new pair, a name that disappears deletes its pair.
 */
export interface SigningKeyNames {
  /** The key the collector signs snapshot tokens with (and `grantTokenSigning` grants). */
  readonly current: string;
  /**
   * Keys the watched services accept besides `current`: the key being introduced or retired during a rotation.
   * @default - none
   */
  readonly alsoAccepted?: readonly string[];
}

/**
 * The signing keys of one `Heapwatch`: one `SigningKey` per name, under this construct with the name as its id.
 * Names are 1 to 32 letters, digits and hyphens.
 */
export class SigningKeys extends Construct {
  /** The key the collector signs with. */
  readonly current: SigningKey;
  /** Every key the watched services accept, `current` included, ordered by name. */
  readonly accepted: readonly SigningKey[];
  /**
   * The accepted public keys, comma-separated in the order of their names: the value of `HEAPWATCH_PUBLIC_KEYS`. The
   * order does not depend on which key is current, so making another accepted key current does not restart tasks.
   */
  readonly publicKeys: string;

  constructor(scope: Construct, id: string, props: SigningKeyNames) {
    super(scope, id);
    const names = acceptedNames(this, props);
    const keys = new Map(names.map((name) => [name, new SigningKey(this, name)]));
    this.current = keys.get(props.current)!;
    this.accepted = [...keys.values()];
    const publicKeys = this.accepted.map((key) => key.publicKey);
    this.publicKeys = Fn.join(',', publicKeys);
  }
}

/** Validates the names and returns them all, ordered. */
function acceptedNames(scope: IConstruct, props: SigningKeyNames): string[] {
  assertKeyName(scope, 'signingKeys.current', props.current);
  const alsoAccepted = props.alsoAccepted ?? [];
  alsoAccepted.forEach((name, index) => {
    assertKeyName(scope, `signingKeys.alsoAccepted[${index}]`, name);
  });
  if (alsoAccepted.includes(props.current)) {
    throw new HeapwatchValidationError(
      `signingKeys.alsoAccepted: '${props.current}' is already signingKeys.current. List in alsoAccepted only the other keys services accept (the one being introduced or retired).`,
      scope,
    );
  }
  const duplicate = alsoAccepted.find((name, index) => alsoAccepted.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw new HeapwatchValidationError(
      `signingKeys.alsoAccepted: '${duplicate}' is listed twice. List each key name once.`,
      scope,
    );
  }
  return [props.current, ...alsoAccepted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function assertKeyName(scope: IConstruct, prop: string, name: unknown): void {
  if (typeof name === 'string' && Token.isUnresolved(name)) {
    throw new HeapwatchValidationError(
      `${prop}: ${name} is a token. A key name must be a literal string: it names the key's construct, which keeps the key pair across deploys.`,
      scope,
    );
  }
  if (typeof name !== 'string' || !KEY_NAME.test(name)) {
    throw new HeapwatchValidationError(
      `${prop}: ${JSON.stringify(name)} is not a key name. Use 1 to 32 letters, digits and hyphens, e.g. '2025-06'.`,
      scope,
    );
  }
}
