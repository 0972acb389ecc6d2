import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SnapshotBucketProps {
  /**
   * How long snapshots and reports are kept. Heap snapshots contain user data (request bodies, tokens, PII that
   * happened to be in memory), so keep this short.
   * @default Duration.days(14)
   */
  readonly retention?: Duration;
  /**
   * Bucket that receives S3 server access logs of the snapshot bucket.
   * @default - no access logs (acknowledged as AwsSolutions-S1 with the reason in README)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * What happens to the bucket when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The private, encrypted, TLS-only bucket that holds heap snapshots and leak reports. */
export class SnapshotBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SnapshotBucketProps = {}) {
    super(scope, id);
    const retention = props.retention ?? Duration.days(14);
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsBucket ? 'heapwatch-snapshots/' : undefined,
      lifecycleRules: [
        { id: 'ExpireSnapshots', expiration: retention },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    if (!props.accessLogsBucket) {
      Validations.of(this.bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Access to snapshots is already recorded by CloudTrail (management events) and limited to the collector and explicit grantSnapshotRead grantees; pass snapshotAccessLogsBucket to add S3 server access logs.',
      });
    }
  }
}
