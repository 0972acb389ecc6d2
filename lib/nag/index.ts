export * from './acknowledge-wildcards';
