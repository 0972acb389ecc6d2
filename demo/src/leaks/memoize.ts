import memoize from 'lodash/memoize';
import { renderRecommendations } from '../pages/recommendations';
import { type LeakDefinition, NO_LEAK } from './leak';

/**
 * The incident's leak: lodash `memoize` caches by its first argument, and the key passed here carries the
 * request id, so every request adds a cache entry that is never read again (`memoized.cache.__data__`).
 */
export const memoizeLeak: LeakDefinition = {
  name: 'memoize',
  description: 'lodash memoize keyed by a value that differs on every request (the incident): its cache grows forever.',
  create: () => {
    const cachedRecommendations = memoize((_cacheKey: string, productId: number) => renderRecommendations(productId));
    return {
      ...NO_LEAK,
      recommendations: (request, productId) => cachedRecommendations(`${request.path}|${request.requestId}`, productId),
    };
  },
};
