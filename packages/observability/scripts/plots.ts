// pnpm run observability:plots: runs the live scenario of the Prometheus test (the system with
// metrics on, a loopback Prometheus, a mix of edits) and draws every dashboard panel from
// Prometheus' range queries into docs/observability/<panel>.svg, so a person sees what each
// panel shows without running Grafana.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "@emuedit/launcher";
import { driveTraffic, PANELS, plotPanel, startObservedSystem } from "../src/index.js";

const OUT = path.join(REPO_ROOT, "docs", "observability");
const ROUNDS = Number(process.env["EMUEDIT_PLOT_ROUNDS"] ?? 4);

const observed = await startObservedSystem();
try {
  const start = Math.floor(Date.now() / 1000);
  for (let round = 0; round < ROUNDS; round++) {
    await driveTraffic(observed.sys.httpUrl, 1);
    await sleep(3000);
  }
  await sleep(5000); // the last scrapes and rule evaluations
  const end = Math.floor(Date.now() / 1000);
  await mkdir(OUT, { recursive: true });
  for (const panel of PANELS) {
    const plot = await plotPanel(observed.prometheus.api, panel, { start, end, stepS: 2, rateInterval: "30s" });
    await writeFile(path.join(OUT, `${panel.id}.svg`), plot.svg);
    process.stdout.write(`${panel.id}: ${plot.series.length} series\n`);
  }
} finally {
  await observed.stop();
}
