export * from './dashboards';
export * from './grafana-provisioning';
export * from './grafana-target';
