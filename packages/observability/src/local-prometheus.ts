// A real Prometheus on loopback for tests and plots: the repository's scrape configuration with
// its Kubernetes discovery replaced by static targets, a short scrape and evaluation interval,
// the repository's rule file, a temporary store, a free port on 127.0.0.1.
import { spawn } from "node:child_process";
import { access, constants, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse, stringify } from "yaml";
import { freePort, REPO_ROOT, tempDir, waitFor } from "@emuedit/launcher";
import { PrometheusApi } from "./prometheus-api.js";

export const OBSERVABILITY_DIR = path.join(REPO_ROOT, "k8s", "observability");
export const PROMETHEUS_CONFIG = path.join(OBSERVABILITY_DIR, "prometheus", "prometheus.yml");
export const RULE_FILE = path.join(OBSERVABILITY_DIR, "prometheus", "rules.yaml");

/** Debian's prometheus package installs here; PROMETHEUS_BIN overrides. */
export async function findBinary(name: "prometheus" | "promtool"): Promise<string | null> {
  const override = process.env[name === "prometheus" ? "PROMETHEUS_BIN" : "PROMTOOL_BIN"];
  for (const candidate of [override, `/usr/bin/${name}`, `/usr/local/bin/${name}`]) {
    if (!candidate) continue;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

export interface LocalPrometheus {
  readonly api: PrometheusApi;
  readonly url: string;
  /** Output of the server (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
}

interface ScrapeConfig {
  job_name: string;
  [key: string]: unknown;
}

/** The repository's prometheus.yml with `targets` (job -> host:port) in place of Kubernetes discovery. */
export async function loopbackConfig(targets: Record<string, string>, ruleFile: string, intervalS: number): Promise<string> {
  const config = parse(await readFile(PROMETHEUS_CONFIG, "utf8")) as { global: Record<string, unknown>; scrape_configs: ScrapeConfig[] };
  config.global = { ...config.global, scrape_interval: `${intervalS}s`, evaluation_interval: `${intervalS}s` };
  const scrape = config.scrape_configs.map(({ job_name, kubernetes_sd_configs: _sd, relabel_configs: _relabel, ...rest }) => ({
    job_name,
    ...rest,
    // The job label is the component's name, as the Kubernetes relabelling sets it.
    static_configs: Object.entries(targets).map(([job, address]) => ({ targets: [address], labels: { job } })),
  }));
  return stringify({ ...config, rule_files: [ruleFile], scrape_configs: scrape });
}

/** The rule file with every group evaluated each `intervalS` (its 30 s would outlast a test). */
export async function fastRules(intervalS: number): Promise<string> {
  const rules = parse(await readFile(RULE_FILE, "utf8")) as { groups: Record<string, unknown>[] };
  return stringify({ groups: rules.groups.map((g) => ({ ...g, interval: `${intervalS}s` })) });
}

export async function startLocalPrometheus(targets: Record<string, string>, opts: { intervalS?: number } = {}): Promise<LocalPrometheus> {
  const bin = await findBinary("prometheus");
  if (!bin) throw new Error("prometheus not found (apt-get install prometheus, or set PROMETHEUS_BIN)");
  const intervalS = opts.intervalS ?? 1;
  const dir = await tempDir("emuedit-prometheus-");
  const ruleFile = path.join(dir.path, "rules.yaml");
  await writeFile(ruleFile, await fastRules(intervalS));
  const configFile = path.join(dir.path, "prometheus.yml");
  await writeFile(configFile, await loopbackConfig(targets, ruleFile, intervalS));
  const port = await freePort();
  const child = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir.path, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-32_768));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    await dir.cleanup();
  };
  try {
    await waitFor(() => fetch(`${url}/-/ready`).then((r) => r.ok, () => false), { timeoutMs: 30_000, intervalMs: 200, description: "prometheus ready" });
  } catch (err) {
    await stop();
    throw new Error(`prometheus did not start:\n${output}`, { cause: err });
  }
  return { api: new PrometheusApi(url), url, output: () => output, stop };
}
