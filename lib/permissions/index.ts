export * from './key-grants';
export * from './statement-text';
