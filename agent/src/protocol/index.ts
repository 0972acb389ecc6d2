export * from './keys';
export * from './nonce-cache';
export * from './sign-token';
export * from './snapshot-name';
export * from './token';
export * from './verify-token';
