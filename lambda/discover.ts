import { Logger } from '@aws-lambda-powertools/logger';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { SeriesRequest, SeriesState } from '../collector/series';
import { type BeginSeriesDependencies, beginSeries } from '../collector/series-steps';
import { adminEndpointOf } from '../collector/watched-service';

const logger = new Logger({ serviceName: 'heapwatch-collector' });

/** Step Functions task: series request → series state with the task to capture. */
export function createDiscoverHandler(deps: BeginSeriesDependencies) {
  return async (request: SeriesRequest): Promise<SeriesState> => {
    const state = await beginSeries(request, deps);
    logger.info('series begins', {
      cluster: state.cluster,
      ecsService: state.service,
      taskId: state.taskId,
      count: state.count,
    });
    return state;
  };
}

const ecs = new ECSClient({});
export const handler = createDiscoverHandler({
  ecs,
  adminEndpointOf: (cluster, service) => adminEndpointOf(ecs, cluster, service),
});
