import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ecsMock, runningIn, TASK_ID, useSeriesFlow } from './series-flow-harness';

describe('series too big for the analysis function, through the synthesized state machine and the analysis task', () => {
  const { flow, notifications, startedTasks, execute, request, sentMessages, SERIES_TIMEOUT_MS } = useSeriesFlow();

  test(
    'a series too big for the analysis function is analysed by a Fargate task sized for it, which reports it',
    async () => {
      // Prepare: the task of another service, so this series has its own keys
      ecsMock.on(DescribeTasksCommand).resolves({ tasks: runningIn('big') });

      // Act: a limit below the snapshots' size, as a series of 5 GiB snapshots meets the real one
      const run = await execute({ ...request, service: 'big' }, { maxSnapshotBytes: 1000 });

      // Assess
      expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({ status: 'SUCCEEDED' });
      expect(run.visited.slice(-7)).toEqual([
        'AnalyzeSeries',
        'AnalysedWhere',
        'AnalyzeOnFargate',
        'AnalysisTaskExited',
        'AnalysisTaskExitCode',
        'SeriesOutcome',
        'ReportPublished',
      ]);
      expect(startedTasks).toHaveLength(1);
      const [task] = startedTasks;
      expect(task).toMatchObject({
        LaunchType: 'FARGATE',
        TaskDefinition: expect.stringMatching(/SnapshotCollectorAnalysisTask/), // the family: its latest revision
        Overrides: { Cpu: '4096', Memory: '8192' },
      });
      const environment = task.Overrides.ContainerOverrides[0].Environment;
      expect(environment).toEqual([
        {
          Name: 'HEAPWATCH_SERIES_INPUT_KEY',
          Value: expect.stringMatching(/^prod\/big\/.*\/series-[^/]+\/input\.json$/),
        },
        { Name: 'NODE_OPTIONS', Value: '--max-old-space-size=6963' },
      ]);
      // The function wrote and published nothing: the task did, once.
      expect(sentMessages().map((message) => message.Subject)).toEqual([`heapwatch leak: prod/big/${TASK_ID}`]);
      const pointer = await flow.s3Server.client.send(
        new GetObjectCommand({ Bucket: flow.s3Server.bucket, Key: `prod/big/${TASK_ID}/latest-report.json` }),
      );
      expect(JSON.parse((await pointer.Body?.transformToString()) ?? '{}')).toMatchObject({ verdict: 'leak' });
      expect(notifications).toEqual([]);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'an analysis task that exits non-zero is published as a failed analysis, and the execution fails',
    async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves({ tasks: runningIn('big-failing') });

      // Act
      const run = await execute(
        { ...request, service: 'big-failing' },
        {
          maxSnapshotBytes: 1000,
          analysisTask: () => {
            throw new Error('out of memory');
          },
        },
      );

      // Assess
      expect(run.visited.slice(-3)).toEqual(['AnalyzeOnFargate', 'PublishAnalysisFailure', 'AnalysisFailed']);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'States.TaskFailed' });
      expect(run.cause).toMatch(/"ExitCode":1/);
      expect(sentMessages()).toEqual([]);
      expect(notifications).toHaveLength(1);
      expect(JSON.stringify(notifications[0])).toMatch(/The heapwatch analysis step failed/);
    },
    SERIES_TIMEOUT_MS,
  );
});
