import { EventEmitter } from 'node:events';
import { type LeakDefinition, NO_LEAK } from './leak';

/**
 * A listener added per request and never removed: each closure keeps its request alive on a long-lived
 * emitter (Node warns "MaxListenersExceededWarning" once, then stays quiet while memory grows).
 */
export const listenersLeak: LeakDefinition = {
  name: 'listeners',
  description: 'An event listener added on every request and never removed, each holding its request.',
  create: () => {
    const catalogEvents = new EventEmitter();
    return {
      ...NO_LEAK,
      onRequest: (request) => {
        catalogEvents.on('catalog-updated', () => `refresh ${request.path} for ${request.headers['user-agent']}`);
      },
    };
  },
};
