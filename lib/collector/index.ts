export * from './collector-functions';
export * from './series-state-machine';
export * from './snapshot-collector';
