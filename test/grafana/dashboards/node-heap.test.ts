import { buildNodeHeapDashboard, NODE_HEAP_DASHBOARD_UID } from '../../../grafana/dashboards/node-heap';
import { PROMETHEUS } from '../../../grafana/dashboards/panels';
import { RECORDED } from '../../../grafana/queries';

describe('the Node.js heap dashboard', () => {
  const dashboard = buildNodeHeapDashboard();
  const panels = (dashboard.panels ?? []) as {
    id?: number;
    title?: string;
    datasource?: unknown;
    targets?: { refId?: string; expr?: string; datasource?: unknown }[];
  }[];

  it('gives every panel a unique id and every query a refId unique within its panel', () => {
    // Act
    const ids = panels.map((panel) => panel.id);
    const refIds = panels.map((panel) => (panel.targets ?? []).map((target) => target.refId));

    // Assess
    expect(dashboard).toMatchObject({ uid: NODE_HEAP_DASHBOARD_UID, title: 'Node.js heap (heapwatch)' });
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(panels.length);
    for (const panelRefIds of refIds) {
      expect(panelRefIds.length).toBeGreaterThan(0);
      expect(panelRefIds).toEqual(panelRefIds.map((_refId, index) => String.fromCharCode(65 + index)));
    }
  });

  it('queries the recorded concepts by name, filtered by the three task variables', () => {
    // Act
    const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));

    // Assess
    for (const record of [RECORDED.memoryFloor, RECORDED.memoryFloorGrowth, RECORDED.timeToLimit]) {
      expect(exprs.some((expr) => expr.includes(record))).toBe(true);
    }
    for (const expr of exprs) {
      expect(expr).toContain('cluster=~"$cluster", service=~"$service", task_id=~"$task_id"');
    }
    for (const panel of panels) {
      expect(panel.datasource).toEqual(PROMETHEUS);
      for (const target of panel.targets ?? []) expect(target.datasource).toEqual(PROMETHEUS);
    }
  });

  it('marks heapwatch alerts on the graphs', () => {
    // Act
    const annotations = dashboard.annotations?.list ?? [];

    // Assess
    expect(annotations).toEqual([
      expect.objectContaining({
        expr: expect.stringMatching(/^ALERTS\{alertname=~"Heapwatch\.\*", cluster=~"\$cluster"/),
      }),
    ]);
  });
});
