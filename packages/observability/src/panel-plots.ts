// Each panel's queries as a range query against Prometheus, drawn as an SVG chart.
import type { Panel } from "./panels.js";
import type { PrometheusApi } from "./prometheus-api.js";
import { substituteGrafanaVariables } from "./promql.js";
import { legendOf, svgPlot, type PlotSeries } from "./svg-plot.js";

export interface PanelPlot {
  readonly series: readonly PlotSeries[];
  readonly svg: string;
}

export async function plotPanel(api: PrometheusApi, panel: Panel, range: { start: number; end: number; stepS: number; rateInterval: string }): Promise<PanelPlot> {
  const series: PlotSeries[] = [];
  for (const query of panel.queries) {
    const expr = substituteGrafanaVariables(query.expr, { rateInterval: range.rateInterval });
    for (const s of await api.queryRange(expr, range.start, range.end, range.stepS)) {
      series.push({ label: legendOf(query.legend, s.metric), points: s.values.map(([t, v]) => [t, Number(v)] as const) });
    }
  }
  return { series, svg: svgPlot(panel.title, panel.unit, series) };
}
