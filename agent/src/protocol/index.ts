export * from './nonce-cache';
export * from './snapshot-name';
export * from './token';
