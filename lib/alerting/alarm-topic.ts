import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface HeapwatchTopicsProps {
  /** @default - a new encrypted topic */
  readonly alarmTopic?: sns.ITopic;
  /** @default - a new encrypted topic */
  readonly reportTopic?: sns.ITopic;
}

/**
 * The encrypted, TLS-only topics heapwatch publishes to: `alarms` (AMP alert manager and CloudWatch alarms →
 * collector) and `reports` (collector → on-call).
 */
export class HeapwatchTopics extends Construct {
  readonly key: kms.Key;
  readonly alarms: sns.ITopic;
  readonly reports: sns.ITopic;

  constructor(scope: Construct, id: string, props: HeapwatchTopicsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the heapwatch alarm and report topics.',
      enableKeyRotation: true,
    });
    // AMP's alert manager and CloudWatch alarm actions publish with the service's own identity, so the key policy
    // must let those services encrypt messages for the topic.
    for (const service of ['aps.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
    this.alarms =
      props.alarmTopic ??
      new sns.Topic(this, 'Alarms', { displayName: 'heapwatch alarms', masterKey: this.key, enforceSSL: true });
    this.reports =
      props.reportTopic ??
      new sns.Topic(this, 'Reports', { displayName: 'heapwatch leak reports', masterKey: this.key, enforceSSL: true });
  }

  /** Lets the given AMP workspace's alert manager publish to the alarm topic, and no other workspace. */
  allowWorkspace(workspaceArn: string): void {
    this.alarms.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAmpAlertManager',
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['sns:Publish', 'sns:GetTopicAttributes'],
        resources: [this.alarms.topicArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': workspaceArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }
}
