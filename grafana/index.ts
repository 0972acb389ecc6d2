export * from './artifacts';
export { buildNodeHeapDashboard, NODE_HEAP_DASHBOARD_UID } from './dashboards/node-heap';
export * from './queries';
export * from './rules/build-rules';
export * from './scrape-labels';
