import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

type Panel = dashboard.Panel | dashboard.RowPanel;

/**
 * Assigns what the foundation SDK leaves out and Grafana needs: a unique panel `id` per panel, and a `refId`
 * (A, B, ...) per query within a panel. Ids follow the panels' order so the JSON only changes where the source does.
 */
export function withIdsAndRefIds(built: dashboard.Dashboard): dashboard.Dashboard {
  let nextId = 1;
  const number = (panel: Panel): Panel => {
    const id = nextId++;
    if (panel.type === 'row') {
      const row = panel as dashboard.RowPanel;
      return { ...row, id, panels: row.panels?.map((inner) => number(inner) as dashboard.Panel) };
    }
    const plain = panel as dashboard.Panel;
    return {
      ...plain,
      id,
      targets: plain.targets?.map((target, index) => ({ ...target, refId: refId(index) })),
    };
  };
  return { ...built, panels: built.panels?.map(number) };
}

function refId(index: number): string {
  if (index >= 26) throw new Error(`A panel has ${index + 1} queries; refIds A-Z allow at most 26.`);
  return String.fromCharCode(65 + index);
}
