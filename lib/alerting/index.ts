export * from './alarm-topic';
export * from './alert-manager-definition';
export * from './managed-prometheus';
