import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
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
  /** Where series too big for the analysis function are analysed. @default - nowhere: the report says so */
  readonly analysisTask?: FargateAnalysis;
}

/** A Fargate task that runs the analysis (lambda/analysis-task.ts) and where it runs. */
export interface FargateAnalysis {
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * find the task → capture → (wait → capture)… → analyse. The waiting is a Wait state, never a sleeping Lambda; a
 * failed step still reaches the analysis (which reports the failure, and analyses what was captured when it can),
 * then the execution fails so the console shows it. A series too big for the analysis function is handed to a
 * Fargate task (ecs:runTask.sync) sized by the function from the largest snapshot; it writes and publishes the
 * same report.
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
    // Many alerts at once can hit the account's Lambda concurrency: a throttled step waits rather than failing the
    // series (5 s, then doubling: up to ~5 minutes in all).
    for (const task of [discover, capture, analyze]) {
      task.addRetry({
        errors: ['Lambda.TooManyRequestsException'],
        interval: Duration.seconds(5),
        backoffRate: 2,
        maxAttempts: 6,
      });
    }
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
    const outcome = new sfn.Choice(this, 'SeriesOutcome')
      .when(sfn.Condition.isPresent('$.failure'), failed)
      .otherwise(done);
    analyze.next(
      props.analysisTask
        ? new sfn.Choice(this, 'AnalysedWhere')
            .when(
              sfn.Condition.isPresent('$.report.fargate'),
              this.fargateAnalysis(props.analysisTask, analysisFailed, outcome),
            )
            .otherwise(outcome)
        : outcome,
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

  /**
   * Runs the analysis task and waits for it. A task that stops with a non-zero exit code, or never starts, fails the
   * step (States.TaskFailed, the stopped task as its cause), which the Catch reports; the Choices after it guard the
   * exit code once more. A hung task is stopped after 6 hours.
   */
  private fargateAnalysis(
    analysis: FargateAnalysis,
    analysisFailed: sfn.IChainable,
    outcome: sfn.IChainable,
  ): sfn.IChainable {
    const run = new tasks.EcsRunTask(this, 'AnalyzeOnFargate', {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: analysis.cluster,
      taskDefinition: analysis.taskDefinition,
      launchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
      subnets: analysis.subnets,
      securityGroups: [analysis.securityGroup],
      assignPublicIp: false,
      cpu: sfn.JsonPath.stringAt('$.report.fargate.cpu'),
      memoryMiB: sfn.JsonPath.stringAt('$.report.fargate.memoryMiB'),
      containerOverrides: [
        {
          containerDefinition: analysis.container,
          environment: [
            { name: 'HEAPWATCH_SERIES_INPUT_KEY', value: sfn.JsonPath.stringAt('$.report.fargate.seriesInputKey') },
            { name: 'NODE_OPTIONS', value: sfn.JsonPath.stringAt('$.report.fargate.nodeOptions') },
          ],
        },
      ],
      resultPath: '$.analysisTask',
      // bench:analysis diffs 3 snapshots of 0.45 GB in all in ~11 s; 3 × 30 GB, the largest task's, would take about an
      // hour at that rate, so 6 h only cuts off a hung task.
      taskTimeout: sfn.Timeout.duration(Duration.hours(6)),
    });
    // RunTask's own throttling and transient errors; a refused request (bad overrides) fails the same way each time,
    // which the 8 KB-safe overrides here avoid.
    run.addRetry({ errors: ['ECS.AmazonECSException'], interval: Duration.seconds(30), maxAttempts: 3 });
    run.addCatch(analysisFailed, { resultPath: '$.analysisFailure' });
    // A path missing in a comparison is a States.Runtime error no Catch takes: check presence first.
    const taskFailed = new sfn.Pass(this, 'AnalysisTaskFailed', {
      parameters: {
        Error: 'AnalysisTaskFailed',
        Cause: sfn.JsonPath.format(
          'the analysis task did not exit 0; its log is in the AnalysisTask log group. The stopped task: {}',
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.analysisTask')),
        ),
      },
      resultPath: '$.analysisFailure',
    }).next(analysisFailed);
    const exitCode = '$.analysisTask.Containers[0].ExitCode';
    return run.next(
      new sfn.Choice(this, 'AnalysisTaskExited')
        .when(
          sfn.Condition.isPresent(exitCode),
          new sfn.Choice(this, 'AnalysisTaskExitCode')
            .when(sfn.Condition.numberEquals(exitCode, 0), outcome)
            .otherwise(taskFailed),
        )
        .otherwise(taskFailed),
    );
  }
}
