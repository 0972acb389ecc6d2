export * from './alerting';
export * from './heapwatch';
export * from './nag';
export * from './scraper';
export * from './storage';
export * from './watch';
