import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** The CloudWatch backstop: fires on the service's memory utilisation even when the Prometheus path is down. */
export function addMemoryAlarm(service: ecs.FargateService, topic: sns.ITopic, thresholdPercent: number): void {
  const alarm = new cloudwatch.Alarm(service, 'HeapwatchMemoryAlarm', {
    alarmDescription: `heapwatch backstop: memory of ${service.node.path} above ${thresholdPercent}% for 10 minutes (fires even when the Prometheus path is down).`,
    metric: service.metricMemoryUtilization({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
    threshold: thresholdPercent,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 10,
    datapointsToAlarm: 10,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
}
