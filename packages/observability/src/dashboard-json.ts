// The Grafana dashboard (schema 39) of the panels in panels.ts: a row panel per question, two
// time-series panels side by side under it, the Prometheus data source as a variable.
import { ROWS, type Panel } from "./panels.js";

export const DASHBOARD_UID = "emuedit-overview";
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

function timeseries(panel: Panel, id: number, x: number, y: number) {
  return {
    id,
    type: "timeseries",
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos: { x, y, w: PANEL_WIDTH, h: PANEL_HEIGHT },
    fieldConfig: { defaults: { unit: panel.unit, min: 0, custom: { lineWidth: 1, fillOpacity: 0, showPoints: "never" } }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    targets: panel.queries.map((query, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: query.expr,
      legendFormat: query.legend,
      range: true,
    })),
  };
}

export function dashboard() {
  const panels: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    row.panels.forEach((panel, i) => {
      panels.push(timeseries(panel, id++, (i % 2) * PANEL_WIDTH, y + Math.floor(i / 2) * PANEL_HEIGHT));
    });
    y += Math.ceil(row.panels.length / 2) * PANEL_HEIGHT;
  }
  return {
    uid: DASHBOARD_UID,
    title: "emuedit",
    description: "Edits, latency, where the time goes, scaling and resources of emuedit (docs/observability.md).",
    tags: ["emuedit"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    timezone: "browser",
    templating: {
      list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {}, hide: 0 }],
    },
    annotations: { list: [] },
    panels,
  };
}

/** k8s/observability/dashboards/emuedit.json */
export function dashboardJson(): string {
  return `${JSON.stringify(dashboard(), null, 2)}\n`;
}
