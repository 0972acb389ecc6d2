import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { grantKeyUse } from '../permissions/key-grants';

export interface SeriesStateMachineProps {
  readonly discover: lambda.IFunction;
  readonly capture: lambda.IFunction;
  readonly analyze: lambda.IFunction;
  /** Told directly when the analysis step itself fails (it normally publishes the report). */
  readonly reportTopic: sns.ITopic;
}

/**
 * find the task → capture → (wait → capture)… → analyse. The waiting is a Wait state, never a sleeping Lambda; a
 * failed step still reaches the analysis (which reports the failure, and analyses what was captured when it can),
 * then the execution fails so the console shows it.
 */
export class SeriesStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: SeriesStateMachineProps) {
    super(scope, id);
    const discover = new tasks.LambdaInvoke(this, 'FindTask', {
      lambdaFunction: props.discover,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const capture = new tasks.LambdaInvoke(this, 'CaptureSnapshot', {
      lambdaFunction: props.capture,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const analyze = new tasks.LambdaInvoke(this, 'AnalyzeSeries', {
      lambdaFunction: props.analyze,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
      resultPath: '$.report',
    });
    const wait = new sfn.Wait(this, 'WaitBetweenSnapshots', { time: sfn.WaitTime.secondsPath('$.intervalSeconds') });
    const failed = new sfn.Fail(this, 'SeriesFailed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const done = new sfn.Succeed(this, 'ReportPublished');

    const analysisFailed = new tasks.SnsPublish(this, 'PublishAnalysisFailure', {
      topic: props.reportTopic,
      subject: 'heapwatch: a series could not be analysed',
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          'The heapwatch analysis step failed ({}). The snapshots are in S3: {} Run heapwatch diff on them locally.',
          sfn.JsonPath.stringAt('$.analysisFailure.Cause'),
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.snapshots')),
        ),
      ),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(
      new sfn.Fail(this, 'AnalysisFailed', {
        errorPath: '$.analysisFailure.Error',
        causePath: '$.analysisFailure.Cause',
      }),
    );
    analyze.addCatch(analysisFailed, { resultPath: '$.analysisFailure' });
    // Without its task a series has no state yet; PublishAnalysisFailure lists $.snapshots, and a missing path would
    // end the execution in States.Runtime before anyone is told.
    const nothingCaptured = new sfn.Pass(this, 'NothingCaptured', {
      result: sfn.Result.fromArray([]),
      resultPath: '$.snapshots',
    }).next(analyze);
    discover.addCatch(nothingCaptured, { resultPath: '$.failure' });
    capture.addCatch(analyze, { resultPath: '$.failure' });
    const moreToCapture = new sfn.Choice(this, 'MoreSnapshots')
      .when(sfn.Condition.numberLessThanJsonPath('$.captured', '$.count'), wait.next(capture))
      .otherwise(analyze);
    analyze.next(
      new sfn.Choice(this, 'SeriesOutcome').when(sfn.Condition.isPresent('$.failure'), failed).otherwise(done),
    );

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      definitionBody: sfn.DefinitionBody.fromChainable(discover.next(capture).next(moreToCapture)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // SnsPublish grants sns:Publish only; publishing to an encrypted topic also needs its key.
    grantKeyUse(props.reportTopic.masterKey, this.stateMachine, 'the report topic');
  }
}
