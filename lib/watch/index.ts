export * from './capture-freeze';
export * from './health-checks';
export * from './memory-alarm';
export * from './watch-changes';
export * from './watch-service';
export * from './watch-validation';
