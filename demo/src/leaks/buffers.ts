import { gzipSync } from 'node:zlib';
import { renderRecommendations } from '../pages/recommendations';
import { type LeakDefinition, NO_LEAK } from './leak';

/**
 * A replay log that keeps a gzipped copy of every recommendations block it served and is never trimmed. The bytes
 * are Buffers outside the JS heap (external memory): the heap itself grows only by the small objects that hold them,
 * so the heap alerts stay quiet and only `memory="external"` sees the leak.
 */
export const buffersLeak: LeakDefinition = {
  name: 'buffers',
  description: 'A gzipped copy of every recommendations block kept in a replay log that is never trimmed (off-heap).',
  create: () => {
    const replayLog: Buffer[] = [];
    return {
      ...NO_LEAK,
      recommendations: (_request, productId) => {
        const html = renderRecommendations(productId);
        replayLog.push(gzipSync(html));
        return html;
      },
    };
  },
};
