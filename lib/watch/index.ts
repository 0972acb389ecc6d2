export * from './capture-freeze';
export * from './health-checks';
export * from './watch-validation';
