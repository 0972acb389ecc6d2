export * from './prometheus-agent';
export * from './scrape-config';
