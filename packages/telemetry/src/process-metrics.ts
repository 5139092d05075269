// CPU and memory of the process, under the names Prometheus' own client libraries use, so the
// usual queries (rate(process_cpu_seconds_total[5m])) and dashboards work unchanged.
import { memoryUsage } from "node:process";
import { MetricName } from "./metric-names.js";
import { observableCounter, observableGauge } from "./metrics.js";

let registered = false;

/** Registers the process instruments once per process; they follow every (re)started provider. */
export function observeProcess(): void {
  if (registered) return;
  registered = true;
  observableCounter(MetricName.ProcessCpuSeconds, { description: "User and system CPU time spent by the process, seconds" }, () => {
    const { user, system } = process.cpuUsage();
    return [[(user + system) / 1e6, {}]];
  });
  observableGauge(MetricName.ProcessResidentMemoryBytes, { description: "Resident memory of the process, bytes" }, () => [[memoryUsage.rss(), {}]]);
  observableGauge(MetricName.ProcessHeapUsedBytes, { description: "V8 heap in use, bytes" }, () => [[memoryUsage().heapUsed, {}]]);
}
