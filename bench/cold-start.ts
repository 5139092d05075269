// Cold start and per-stage cost of each model service as deployed: every service runs from its
// production bundle (scripts/bundle.mjs, what the images carry) with plain node.
//   1. cold start: time from spawning `node main.mjs` to grpc.health.v1 SERVING (model loaded and
//      warmed up: what a Kubernetes startup probe waits for), `runs` times per model service;
//   2. stage cost: the whole system from the bundles, `edits` sequential edits, each stage's
//      median from the gateway's Server-Timing header (the inputs of docs/deploy.md's capacity
//      model).
// Results go to docs/deploy.md by hand, with the command line.
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { checkHealth } from "@emuedit/proto";
import { freePort, launchSystem, REPO_ROOT, SERVICE_NAMES, startNatsServer, type ServiceName } from "@emuedit/launcher";

export interface ColdStartOptions {
  readonly modelDir?: string;
  readonly runs: number;
  readonly edits: number;
  readonly steps: number;
}

const MODEL_SERVICES = ["text-encoder", "vae", "unet"] as const;
const PORT_ENV = { "text-encoder": "EMUEDIT_TEXT_ENCODER_PORT", vae: "EMUEDIT_VAE_PORT", unet: "EMUEDIT_UNET_PORT" } as const;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeToServing(bundle: string, service: (typeof MODEL_SERVICES)[number], env: NodeJS.ProcessEnv): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["main.mjs"], { cwd: bundle, env: { ...env, [PORT_ENV[service]]: String(port) }, stdio: "ignore" });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${service} exited (${child.exitCode}) before it was serving`);
      const status = await checkHealth(`127.0.0.1:${port}`, "", 1000).catch(() => "DOWN");
      if (status === "SERVING") return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

export async function benchColdStart(opts: ColdStartOptions): Promise<void> {
  const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "models", "emu-edit-tiny");
  const dir = await mkdtemp(path.join(os.tmpdir(), "emuedit-cold-start-"));
  const bundle = (name: ServiceName) => path.join(dir, name);
  try {
    for (const name of SERVICE_NAMES) execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "bundle.mjs"), name, bundle(name)], { stdio: "ignore" });
    console.log(`model ${path.relative(REPO_ROOT, modelDir) || modelDir}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);

    // 1. Cold start; the unet connects to NATS before it loads, so a nats-server must answer.
    const nats = await startNatsServer({});
    const env = { ...process.env, EMUEDIT_MODEL_DIR: modelDir, NATS_URL: nats.url, EMUEDIT_SHUTDOWN_DELAY_MS: "0" };
    console.log(`\ncold start (spawn -> SERVING), ${opts.runs} runs each, ms`);
    for (const service of MODEL_SERVICES) {
      const ms: number[] = [];
      for (let i = 0; i < opts.runs; i++) ms.push(await timeToServing(bundle(service), service, env));
      console.log(`  ${service.padEnd(13)} median ${median(ms).toFixed(0).padStart(6)}   min ${Math.min(...ms).toFixed(0).padStart(6)}   max ${Math.max(...ms).toFixed(0).padStart(6)}`);
    }
    await nats.stop();

    // 2. Per-stage cost of sequential edits through the whole system.
    const edits = await launchSystem({
      modelDir,
      privateNats: true,
      serviceEntry: (name) => ({ cwd: bundle(name), entry: "main.mjs", nodeArgs: [] }),
      onLine: () => undefined,
    });
    try {
      const image = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
      const stages = new Map<string, number[]>();
      const total: number[] = [];
      for (let i = 0; i < opts.edits + 1; i++) {
        const form = new FormData();
        form.append("image", new Blob([image]), "red-circle.png");
        form.append("instruction", "make the circle blue");
        form.append("task", "local");
        form.append("steps", String(opts.steps));
        const t0 = performance.now();
        const res = await fetch(`${edits.httpUrl}/v1/edits`, { method: "POST", body: form });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`edit answered ${res.status}`);
        if (i === 0) continue; // the first edit also fills the empty-prompt cache
        total.push(performance.now() - t0);
        for (const part of (res.headers.get("server-timing") ?? "").split(",")) {
          const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
          if (m) stages.set(m[1]!, [...(stages.get(m[1]!) ?? []), Number(m[2])]);
        }
      }
      console.log(`\nper-stage cost, ${opts.edits} sequential edits of ${opts.steps} steps (median ms, gateway Server-Timing)`);
      for (const [stage, ms] of stages) console.log(`  ${stage.padEnd(13)} ${median(ms).toFixed(1).padStart(8)}`);
      console.log(`  ${"edit (client)".padEnd(13)} ${median(total).toFixed(1).padStart(8)}`);
    } finally {
      await edits.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
