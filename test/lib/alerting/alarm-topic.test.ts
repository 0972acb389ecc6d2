import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { HeapwatchTopics, type HeapwatchTopicsProps } from '../../../lib/alerting/alarm-topic';

const ACCOUNT = '111122223333';
const TOPIC_ARN = `arn:aws:sns:eu-west-1:${ACCOUNT}:team-alarms`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const WORKSPACE_ARN = `arn:aws:aps:eu-west-1:${ACCOUNT}:workspace/ws-12345678-abcd-1234-abcd-123456789012`;

function topicsStack(props: (stack: Stack) => HeapwatchTopicsProps = () => ({})) {
  const stack = new Stack(new App(), 'Alerting', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const topics = new HeapwatchTopics(stack, 'Topics', props(stack));
  topics.allowWorkspace(WORKSPACE_ARN);
  return { stack, topics };
}

/** The warnings with this id, and the JSON policy statements each one holds. */
function warnings(stack: Stack, id: string) {
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp(`ack: ${id}]`))
    .map((warning) => {
      const message = String(warning.entry.data);
      return { message, statements: jsonObjectsIn(message) };
    });
}

/** The JSON objects written in a message (balanced braces that parse as JSON). */
function jsonObjectsIn(message: string): unknown[] {
  const objects: unknown[] = [];
  for (let start = message.indexOf('{'); start !== -1; start = message.indexOf('{', start + 1)) {
    let depth = 0;
    for (let end = start; end < message.length; end++) {
      depth += message[end] === '{' ? 1 : message[end] === '}' ? -1 : 0;
      if (depth !== 0) continue;
      try {
        objects.push(JSON.parse(message.slice(start, end + 1)));
        start = end;
      } catch {
        // not JSON, e.g. a TypeScript object literal in the advice
      }
      break;
    }
  }
  return objects;
}

const AMP_TOPIC_STATEMENT = {
  Sid: 'AllowAmpAlertManager',
  Effect: 'Allow',
  Principal: { Service: 'aps.amazonaws.com' },
  Action: ['sns:Publish', 'sns:GetTopicAttributes'],
  Resource: TOPIC_ARN,
  Condition: { ArnEquals: { 'aws:SourceArn': WORKSPACE_ARN }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
};
const CLOUDWATCH_TOPIC_STATEMENT = {
  Sid: 'AllowCloudWatchAlarms',
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: 'sns:Publish',
  Resource: TOPIC_ARN,
  Condition: {
    ArnLike: { 'aws:SourceArn': `arn:<AWS::Partition>:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*` },
    StringEquals: { 'aws:SourceAccount': ACCOUNT },
  },
};
const keyStatement = (service: string) => ({
  Effect: 'Allow',
  Principal: { Service: service },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
  Resource: '*',
  Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
});

describe('HeapwatchTopics', () => {
  test('its own alarm topic lets AMP (this workspace) and CloudWatch alarms (this account) publish, key included', () => {
    // Prepare + Act
    const { stack } = topicsStack();
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarms',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*`]],
                },
              },
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
            },
          }),
          Match.objectLike({ Sid: 'AllowAmpAlertManager', Principal: { Service: 'aps.amazonaws.com' } }),
        ]),
      },
    });
    for (const service of ['aps.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike(keyStatement(service))]) },
      });
    }
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('an alarm topic of the app with its own key: the statements go to its topic and key policies', () => {
    // Prepare + Act
    const { stack } = topicsStack((scope) => ({
      alarmTopic: new sns.Topic(scope, 'TeamAlarms', { masterKey: new kms.Key(scope, 'TeamKey') }),
    }));
    const template = Template.fromStack(stack);

    // Assess
    const teamKey = Object.entries(template.findResources('AWS::KMS::Key')).find(([id]) => id.startsWith('TeamKey'));
    expect(JSON.stringify(teamKey)).toContain('aps.amazonaws.com');
    expect(JSON.stringify(teamKey)).toContain('cloudwatch.amazonaws.com');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^TeamAlarms') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'AllowCloudWatchAlarms' }),
          Match.objectLike({ Sid: 'AllowAmpAlertManager' }),
        ]),
      },
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('an imported alarm topic: warns with the exact topic policy statements for AMP and CloudWatch', () => {
    // Prepare + Act
    const { stack } = topicsStack((scope) => ({ alarmTopic: sns.Topic.fromTopicArn(scope, 'TeamAlarms', TOPIC_ARN) }));

    // Assess
    const topicPolicy = warnings(stack, '@heapwatch/alerting:alarm-topic-policy');
    expect(topicPolicy.map((warning) => warning.statements)).toEqual([
      [CLOUDWATCH_TOPIC_STATEMENT],
      [AMP_TOPIC_STATEMENT],
    ]);
    expect(topicPolicy[1].message).toContain(
      `cannot add to the policy of the imported alarm topic ${TOPIC_ARN}, so Amazon Managed Prometheus cannot send alerts to it`,
    );
    // The key is unknown: the key statements are given for the case that it is a customer managed key.
    const key = warnings(stack, '@heapwatch/alerting:alarm-topic-key');
    expect(key).toHaveLength(1);
    expect(key[0].message).toContain('imported without its KMS key');
    expect(key[0].statements).toEqual([keyStatement('aps.amazonaws.com'), keyStatement('cloudwatch.amazonaws.com')]);
  });

  test('an imported alarm topic with an imported key: warns with the key policy statements', () => {
    // Prepare + Act
    const { stack } = topicsStack((scope) => ({
      alarmTopic: sns.Topic.fromTopicAttributes(scope, 'TeamAlarms', { topicArn: TOPIC_ARN, keyArn: KEY_ARN }),
    }));

    // Assess
    const [key] = warnings(stack, '@heapwatch/alerting:alarm-topic-key');
    expect(key.message).toContain(
      `cannot change the key policy of ${KEY_ARN}, the imported KMS key of the alarm topic`,
    );
    expect(key.statements).toEqual([keyStatement('aps.amazonaws.com'), keyStatement('cloudwatch.amazonaws.com')]);
  });

  test('an alarm topic encrypted with the AWS managed SNS key: warns that AMP and CloudWatch cannot publish', () => {
    // Prepare + Act
    const { stack } = topicsStack((scope) => ({
      alarmTopic: new sns.Topic(scope, 'TeamAlarms', {
        masterKey: kms.Alias.fromAliasName(scope, 'SnsKey', 'alias/aws/sns'),
      }),
    }));

    // Assess
    const [key] = warnings(stack, '@heapwatch/alerting:alarm-topic-key');
    expect(key.message).toMatch(
      /encrypted with the AWS managed key alias\/aws\/sns.*Encrypt the topic with a customer/,
    );
  });

  test('an imported report topic needs no policy of heapwatch: no warning', () => {
    // Prepare + Act
    const { stack } = topicsStack((scope) => ({
      reportTopic: sns.Topic.fromTopicArn(scope, 'TeamReports', `arn:aws:sns:eu-west-1:${ACCOUNT}:team-reports`),
    }));

    // Assess
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
