// The whole system with every metrics endpoint on, a real Prometheus scraping it on loopback, and
// a mix of edits that gives every panel something to show. The live test and the plots script
// (scripts/plots.ts) both run this, so the pictures in docs/ are of what the test checked.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { freePort, launchSystem, REPO_ROOT, waitFor, type RunningSystem } from "@emuedit/launcher";
import { startLocalPrometheus, type LocalPrometheus } from "./local-prometheus.js";

export const SERVICES = ["gateway", "text-encoder", "vae", "unet"] as const;
export type Service = (typeof SERVICES)[number];

const METRICS_PORT_ENV: Record<Service, string> = {
  gateway: "EMUEDIT_GATEWAY_METRICS_PORT",
  "text-encoder": "EMUEDIT_TEXT_ENCODER_METRICS_PORT",
  vae: "EMUEDIT_VAE_METRICS_PORT",
  unet: "EMUEDIT_UNET_METRICS_PORT",
};

export interface ObservedSystem {
  readonly sys: RunningSystem;
  readonly prometheus: LocalPrometheus;
  /** host:port of each service's /metrics. */
  readonly metricsTargets: Record<Service, string>;
  /** HTTP status of the edits that woke the unet from zero, twice (the first that was not 200; 200 expected). */
  readonly coldStartStatus: number;
  stop(): Promise<void>;
}

/** How long the first edit waits for a unet before one starts (a few 1 s scrapes see it waiting). */
const COLD_START_AFTER_MS = 3000;

export interface ObservedSystemOptions {
  readonly env?: Record<string, string>;
  readonly onLine?: (service: string, line: string) => void;
}

export async function startObservedSystem(opts: ObservedSystemOptions = {}): Promise<ObservedSystem> {
  const metricsTargets = {} as Record<Service, string>;
  const env: Record<string, string> = {
    // The fixture's task classifier has random weights: accept whatever it predicts.
    EMUEDIT_MIN_TASK_CONFIDENCE: "0",
    EMUEDIT_LOG_LEVEL: "warn",
    ...opts.env,
  };
  for (const service of SERVICES) {
    const port = await freePort();
    metricsTargets[service] = `127.0.0.1:${port}`;
    env[METRICS_PORT_ENV[service]] = String(port);
  }
  // The unet starts at zero replicas: the first edit waits for it (the cold-start panels).
  const sys = await launchSystem({
    modelDir: path.join(REPO_ROOT, "models", "fixture-tiny"),
    privateNats: true,
    unstarted: { unet: 1 },
    env: { EMUEDIT_COLD_START_WAIT_MS: "120000", ...env },
    onLine: opts.onLine ?? (() => undefined),
  });
  let started: LocalPrometheus | undefined;
  let coldStartStatus = 0;
  try {
    started = await startLocalPrometheus(metricsTargets);
    // Prometheus applies discovered targets at most every 5 s: wait for the first scrape of each
    // (the unet's once it has started).
    const api = started.api;
    const scraped = (services: number) => async () => {
      const targets = await api.targets();
      return targets.length === SERVICES.length && targets.filter((t) => t.health === "up").length >= services;
    };
    await waitFor(scraped(SERVICES.length - 1), { timeoutMs: 60_000, intervalMs: 500, description: "every running service scraped once" });
    const image = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
    const wake = async (seed: number) => {
      const cold = postEdit(sys.httpUrl, image, { instruction: "wake the unet", task: "global", steps: "4", seed: String(seed), timeout_ms: "120000" });
      // Long enough for a few scrapes of the waiting edit, then a unet replica comes up.
      await new Promise((r) => setTimeout(r, COLD_START_AFTER_MS));
      await sys.startReplica("unet", 0);
      return cold;
    };
    coldStartStatus = await wake(1);
    await waitFor(scraped(SERVICES.length), { timeoutMs: 60_000, intervalMs: 500, description: "every service scraped once" });
    // Back to zero and woken again: the wait histogram's series appeared with its first wait, so
    // only a second one is an increase a rate() (and the quantile panel) can show.
    sys.processes.unet.signal("SIGTERM");
    await sys.processes.unet.exited;
    const again = await wake(2);
    if (again !== 200) coldStartStatus = again;
    await waitFor(scraped(SERVICES.length), { timeoutMs: 60_000, intervalMs: 500, description: "the unet scraped again" });
  } catch (err) {
    await started?.stop();
    await sys.stop();
    throw err;
  }
  const prometheus = started;
  return {
    sys,
    prometheus,
    metricsTargets,
    coldStartStatus,
    async stop() {
      await prometheus.stop();
      await sys.stop();
    },
  };
}

export interface TrafficReport {
  /** HTTP status of every edit, by what it was meant to show. */
  readonly statuses: Record<string, number[]>;
}

const TASKS = ["remove", "local", "background", "global", "style", "detect"] as const;

async function postEdit(httpUrl: string, image: Uint8Array, fields: Record<string, string>): Promise<number> {
  const form = new FormData();
  form.append("image", new Blob([image]), "in.png");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${httpUrl}/v1/edits`, { method: "POST", body: form });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Edits of several tasks one after another, a burst of concurrent ones (the UNet batches them),
 * one naming a task nobody registered (400 unknown_task, a task-cache miss) and one whose
 * deadline cannot be met (504 deadline_exceeded inside a model stage), in `rounds` rounds.
 */
export async function driveTraffic(httpUrl: string, rounds = 2): Promise<TrafficReport> {
  const image = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
  const statuses: Record<string, number[]> = { sequential: [], concurrent: [], unknownTask: [], deadline: [] };
  for (let round = 0; round < rounds; round++) {
    for (const task of TASKS) {
      statuses.sequential!.push(await postEdit(httpUrl, image, { instruction: `a ${task} edit`, task, steps: "4", seed: String(round) }));
    }
    const burst = await Promise.all(
      Array.from({ length: 4 }, (_, i) => postEdit(httpUrl, image, { instruction: "make the circle blue", task: "local", steps: "8", seed: String(i) })),
    );
    statuses.concurrent!.push(...burst);
    statuses.unknownTask!.push(await postEdit(httpUrl, image, { instruction: "do something new", task: "no_such_task" }));
    statuses.deadline!.push(await postEdit(httpUrl, image, { instruction: "too slow", task: "remove", steps: "150", timeout_ms: "300" }));
  }
  return { statuses };
}
