import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { isAwsManagedAlias } from '../permissions/key-grants';
import { statementText, valueText } from '../permissions/statement-text';

export interface HeapwatchTopicsProps {
  /**
   * The topic alerts go to. heapwatch adds to its policy what Amazon Managed Prometheus and CloudWatch need to
   * publish, and to its key's policy when it is encrypted; for an imported topic or key it cannot, and a synth warning
   * gives the statements to add by hand.
   * @default - a new encrypted topic
   */
  readonly alarmTopic?: sns.ITopic;
  /** @default - a new encrypted topic */
  readonly reportTopic?: sns.ITopic;
}

/** Services that publish to the alarm topic with their own identity: AMP's alert manager and CloudWatch alarms. */
const ALARM_PUBLISHERS = ['aps.amazonaws.com', 'cloudwatch.amazonaws.com'];

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
    this.alarms =
      props.alarmTopic ??
      new sns.Topic(this, 'Alarms', { displayName: 'heapwatch alarms', masterKey: this.key, enforceSSL: true });
    this.reports =
      props.reportTopic ??
      new sns.Topic(this, 'Reports', { displayName: 'heapwatch leak reports', masterKey: this.key, enforceSSL: true });
    this.allowCloudWatchAlarms();
    this.allowPublishersOnAlarmKey();
  }

  /** Lets the given AMP workspace's alert manager publish to the alarm topic, and no other workspace. */
  allowWorkspace(workspaceArn: string): void {
    const statement = new iam.PolicyStatement({
      sid: 'AllowAmpAlertManager',
      principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
      actions: ['sns:Publish', 'sns:GetTopicAttributes'],
      resources: [this.alarms.topicArn],
      conditions: {
        ArnEquals: { 'aws:SourceArn': workspaceArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      },
    });
    if (!this.alarms.addToResourcePolicy(statement).statementAdded) {
      this.warnTopicPolicy('Amazon Managed Prometheus cannot send alerts to it', statement);
    }
  }

  /**
   * CloudWatch alarm actions (the backstop alarm of every watched service) publish as cloudwatch.amazonaws.com, which
   * a topic policy must allow once it has one: alarms of this account and region only.
   */
  private allowCloudWatchAlarms(): void {
    const stack = Stack.of(this);
    const statement = new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.alarms.topicArn],
      conditions: {
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    });
    if (!this.alarms.addToResourcePolicy(statement).statementAdded) {
      this.warnTopicPolicy('the CloudWatch backstop alarms cannot notify it', statement);
    }
  }

  /**
   * AMP and CloudWatch encrypt what they publish with the topic's key under their own identity, so its key policy must
   * allow them (an identity policy cannot). The AWS managed key of SNS never does.
   */
  private allowPublishersOnAlarmKey(): void {
    const key = this.alarms.masterKey;
    const statements = ALARM_PUBLISHERS.map(
      (service) =>
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
    );
    const statementsText = statements.map((statement) => statementText(this, statement)).join(' ');
    if (key === undefined) {
      if (!(this.alarms instanceof sns.Topic)) {
        this.warnAlarmKey(
          `The alarm topic ${this.topicText()} is imported without its KMS key, so heapwatch cannot tell whether Amazon Managed Prometheus and CloudWatch may encrypt messages for it. If it is encrypted with a customer managed key, add these statements to that key's policy: ${statementsText} (or import the topic with sns.Topic.fromTopicAttributes({ topicArn, keyArn }) to be told exactly). If it is encrypted with the AWS managed key alias/aws/sns, they cannot publish at all: use a customer managed key.`,
        );
      }
      return;
    }
    if (isAwsManagedAlias(key)) {
      this.warnAlarmKey(
        `The alarm topic ${this.topicText()} is encrypted with the AWS managed key alias/aws/sns, whose key policy does not let Amazon Managed Prometheus and CloudWatch encrypt messages: alerts and backstop alarms never arrive. Encrypt the topic with a customer managed key whose key policy holds these statements: ${statementsText}`,
      );
      return;
    }
    const notAdded = statements.filter((statement) => !key.addToResourcePolicy(statement).statementAdded);
    if (notAdded.length > 0) {
      this.warnAlarmKey(
        `heapwatch cannot change the key policy of ${valueText(this, key.keyArn)}, the imported KMS key of the alarm topic ${this.topicText()}: Amazon Managed Prometheus and CloudWatch cannot encrypt messages for the topic until you add these statements to that key's policy: ${notAdded.map((statement) => statementText(this, statement)).join(' ')}`,
      );
    }
  }

  private warnTopicPolicy(consequence: string, statement: iam.PolicyStatement): void {
    Annotations.of(this).addWarningV2(
      '@heapwatch/alerting:alarm-topic-policy',
      `heapwatch cannot add to the policy of the imported alarm topic ${this.topicText()}, so ${consequence}. Add this statement to the topic's access policy: ${statementText(this, statement)}`,
    );
  }

  private topicText(): string {
    return valueText(this, this.alarms.topicArn);
  }

  private warnAlarmKey(message: string): void {
    Annotations.of(this).addWarningV2('@heapwatch/alerting:alarm-topic-key', message);
  }
}
