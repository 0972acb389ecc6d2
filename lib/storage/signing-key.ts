import { CustomResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { HEAPWATCH_LAMBDA_HANDLER, HEAPWATCH_LAMBDA_RUNTIME, heapwatchLambdaCode } from '../lambda-code';
import { acknowledgeCustomResourceFramework } from '../nag/acknowledge-custom-resource';

/**
 * An Ed25519 key pair that signs snapshot tokens (wire protocol v2), generated at deploy time by a custom resource:
 * the private key goes straight into `secret` (plain string, standard base64 of DER PKCS8) and never into the
 * template, a log or an output; the public key (standard base64 of DER SPKI) is `publicKey`, for the agents'
 * `HEAPWATCH_PUBLIC_KEYS`. The pair lives as long as the construct: a deploy never regenerates it, removing the
 * construct deletes the secret.
 */
export class SigningKey extends Construct {
  /** Holds the private key; reading it means being able to take heap snapshots of every task that accepts the key. */
  readonly secret: secretsmanager.Secret;
  /** The public key (a token, resolved at deploy time). */
  readonly publicKey: string;
  /** The custom resource's function; it may only write this key's secret. */
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Resource', {
      description: `heapwatch Ed25519 private key (${this.node.path}): signs snapshot tokens; agents hold only its public key. Written once at deploy by the key's custom resource.`,
      // Secrets Manager needs an initial value; the custom resource replaces it with the private key right after.
      // Pinned, so that no later synthesis changes it: a changed generator would overwrite the key with a password.
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A signing key is rotated by name (Heapwatch signingKeys: accept the new key, sign with it, drop the old one), over three deploys so that every task accepts the new public key before the collector signs with it. A rotation Lambda would replace the private key under tasks that know only the old public key.',
    });

    // Deleted with the key (a rotation removes one), like the secret: they hold nothing but public keys and ARNs.
    const logGroup = (id: string) =>
      new logs.LogGroup(this, id, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.function = new lambda.Function(this, 'Writer', {
      code: heapwatchLambdaCode('signing-key'),
      handler: HEAPWATCH_LAMBDA_HANDLER,
      runtime: HEAPWATCH_LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(1),
      memorySize: 256,
      logGroup: logGroup('Logs'),
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      description: 'heapwatch: generates a signing key pair and writes its private key to its secret',
    });
    // Write only: the function never reads a key back.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [this.secret.secretArn] }),
    );

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: logGroup('ProviderLogs'),
    });
    const keyPair = new CustomResource(this, 'KeyPair', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::HeapwatchSigningKey',
      properties: { SecretArn: this.secret.secretArn },
    });
    this.publicKey = keyPair.getAttString('PublicKey');
    acknowledgeCustomResourceFramework(this.function, provider);
  }

  /** Lets the grantee read the private key, i.e. sign snapshot tokens. */
  grantSigning(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }
}
