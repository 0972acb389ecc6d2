export * from './signing-key';
export * from './signing-keys';
export * from './snapshot-bucket';
