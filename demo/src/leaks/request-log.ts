import { type LeakDefinition, NO_LEAK, type PageRequest } from './leak';

interface RequestRecord {
  readonly at: string;
  readonly request: PageRequest;
}

/** A "recent requests" debug list that nobody trims: a global array that only grows. */
export const requestLogLeak: LeakDefinition = {
  name: 'request-log',
  description: 'Every request is appended to an in-memory debug log that is never trimmed.',
  create: () => {
    const recentRequests: RequestRecord[] = [];
    return {
      ...NO_LEAK,
      onRequest: (request) => {
        recentRequests.push({ at: new Date().toISOString(), request });
      },
    };
  },
};
