export * from './snapshot-bucket';
export * from './token-secret';
