// A small time-series chart as SVG text (no browser, no plotting library): what a Grafana
// time-series panel would draw from the same Prometheus range query.
import type { PanelUnit } from "./panels.js";

export interface PlotSeries {
  readonly label: string;
  /** [unix seconds, value]; NaN values leave a gap. */
  readonly points: readonly (readonly [number, number])[];
}

const WIDTH = 640;
const HEIGHT = 300;
const MARGIN = { left: 64, right: 16, top: 28, bottom: 40 };
const LEGEND_ROW_PX = 14;
/** Space under the time axis' caption before the legend starts. */
const LEGEND_TOP_PX = 14;
/** Grafana's classic palette. */
const COLORS = [
  "#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0", "#508642", "#cca300",
  "#447ebc", "#c15c17", "#890f02", "#0a437c", "#6d1f62", "#584477", "#b7dbab", "#f4d598", "#70dbed", "#f9ba8f", "#f29191",
];

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A value as the panel's unit shows it. */
export function formatValue(v: number, unit: PanelUnit): string {
  const short = (x: number) => {
    const a = Math.abs(x);
    if (a >= 1e9) return `${+(x / 1e9).toPrecision(3)}G`;
    if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
    if (a >= 1e3) return `${+(x / 1e3).toPrecision(3)}k`;
    return a === 0 ? "0" : `${+x.toPrecision(3)}`;
  };
  switch (unit) {
    case "ms":
      return Math.abs(v) >= 1000 ? `${+(v / 1000).toPrecision(3)} s` : `${short(v)} ms`;
    case "bytes": {
      const units = ["B", "KiB", "MiB", "GiB"];
      let x = v;
      let i = 0;
      while (Math.abs(x) >= 1024 && i < units.length - 1) (x /= 1024), i++;
      return `${+x.toPrecision(3)} ${units[i]}`;
    }
    case "percentunit":
      return `${+(v * 100).toPrecision(3)}%`;
    case "reqps":
      return `${short(v)} req/s`;
    case "ops":
      return `${short(v)} /s`;
    default:
      return short(v);
  }
}

/** Round tick step covering `span` in about `n` steps (1, 2, 5 x 10^k). */
function niceStep(span: number, n: number): number {
  const raw = span / n;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

export function svgPlot(title: string, unit: PanelUnit, series: readonly PlotSeries[]): string {
  const legendRows = Math.ceil(series.length / 3);
  const height = HEIGHT + LEGEND_TOP_PX + legendRows * LEGEND_ROW_PX;
  const all = series.flatMap((s) => s.points).filter(([, v]) => Number.isFinite(v));
  const t0 = Math.min(...all.map(([t]) => t));
  const t1 = Math.max(...all.map(([t]) => t));
  const vMax = Math.max(0, ...all.map(([, v]) => v));
  const vMin = Math.min(0, ...all.map(([, v]) => v));
  const step = niceStep(vMax - vMin || 1, 4);
  const top = Math.ceil(vMax / step) * step || step;
  const bottom = Math.floor(vMin / step) * step;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (t: number) => MARGIN.left + (t1 > t0 ? ((t - t0) / (t1 - t0)) * plotW : plotW / 2);
  const y = (v: number) => MARGIN.top + plotH - ((v - bottom) / (top - bottom)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#181b1f"/>`,
    `<text x="${MARGIN.left}" y="18" fill="#ccccdc" font-size="13">${escape(title)}</text>`,
  ];
  // Horizontal grid and value axis.
  for (let v = bottom; v <= top + step / 2; v += step) {
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#2c3235"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" fill="#8e8e8e" text-anchor="end">${escape(formatValue(v, unit))}</text>`);
  }
  // Time axis: seconds since the first sample (the run lasts minutes, not hours).
  const tStep = niceStep(Math.max(t1 - t0, 1), 6);
  for (let t = 0; t <= t1 - t0 + 1e-9; t += tStep) {
    out.push(`<text x="${x(t0 + t).toFixed(1)}" y="${MARGIN.top + plotH + 16}" fill="#8e8e8e" text-anchor="middle">${t}s</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 32}" fill="#8e8e8e" text-anchor="middle">time since the first sample</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    // Split at gaps (NaN), as Grafana does.
    let d = "";
    let pen = false;
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const lx = MARGIN.left + (i % 3) * 190;
    const ly = HEIGHT + LEGEND_TOP_PX + Math.floor(i / 3) * LEGEND_ROW_PX;
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${color}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly - 3}" fill="#ccccdc">${escape(s.label.slice(0, 30))}</text>`);
  });
  if (series.length === 0) out.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" fill="#8e8e8e" text-anchor="middle">No data</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** A legend like Grafana's: {{label}} replaced by the series' label values. */
export function legendOf(template: string, metric: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, name: string) => metric[name] ?? "");
}
