export * from './alerting';
export * from './collector';
export * from './grafana';
export * from './heapwatch';
export * from './nag';
export * from './scraper';
export * from './storage';
export * from './watch';
