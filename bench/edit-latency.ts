// Edit latency (sequential) and throughput (concurrent) for the distributed system against the
// in-process pipeline and against the floor (bench/floor.ts: the same model calls in a plain loop),
// on the same model, inputs and settings. The last line printed is one JSON object. The three
// run interleaved (sequential: edit by edit; concurrent: in alternating blocks), so a machine
// shared with other work loads them alike and their ratios hold within one run.
//
// Gateway overhead, per edit: the client's wall time of the edit minus the gateway's own wall time
// of the model calls on the edit's critical path, from the reply's Server-Timing:
//   wall - (max(text_encode, vae_encode) + denoise + vae_decode)
// i.e. HTTP, multipart, image decode / resize / encode, task resolution and the reply: everything
// the gateway does that is not waiting for a model service.
import os from "node:os";
import path from "node:path";
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { freePort, launchSystem, REPO_ROOT, type ServiceName } from "@emuedit/launcher";
import { loadModelPackage } from "@emuedit/model-package";
import { createInProcessPipeline } from "@emuedit/stages";
import { createFloor } from "./floor.js";

export interface EditBenchOptions {
  readonly modelDir?: string;
  readonly steps: number;
  /** Edits of each sequential run. */
  readonly edits: number;
  /** Edits of each concurrent run. */
  readonly concurrentEdits: number;
  readonly concurrency: number;
  /** EMUEDIT_PREVIEW_EVERY of the distributed system. */
  readonly previewEvery: number;
  /** UNet rows per batched call, both sides (3 = no batching). */
  readonly batchRows: number;
  /** Session workers per model, both sides (EMUEDIT_*_WORKERS; 0 = on the main thread); default the services' default. */
  readonly workers?: number;
  /** Distributed only: RSS of every service over this many edits after a warm-up (0 = skip). */
  readonly rssEdits: number;
}

interface Run {
  readonly p50: number;
  readonly p90: number;
  readonly mean: number;
  readonly editsPerS: number;
}

function quantile(ms: readonly number[], p: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

async function measure(edits: number, concurrency: number, one: (i: number) => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < edits) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const wallS = (performance.now() - start) / 1000;
  return { p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, editsPerS: edits / wallS };
}

/**
 * Sequential runs of several modes, interleaved edit by edit (a, b, c, a, b, c, ...), so that every
 * mode sees the same load on a machine shared with other work.
 */
async function measureInterleaved(edits: number, modes: readonly ((i: number) => Promise<void>)[]): Promise<Run[]> {
  const latencies = modes.map(() => [] as number[]);
  const busyMs = modes.map(() => 0);
  for (let i = 0; i < edits; i++) {
    for (const [m, one] of modes.entries()) {
      const t0 = performance.now();
      await one(i);
      const ms = performance.now() - t0;
      latencies[m]!.push(ms);
      busyMs[m]! += ms;
    }
  }
  return latencies.map((l, m) => ({ p50: quantile(l, 0.5), p90: quantile(l, 0.9), mean: busyMs[m]! / edits, editsPerS: edits / (busyMs[m]! / 1000) }));
}

/** Closed-loop runs at `concurrency`, in alternating blocks of `block` edits per mode; throughput over all blocks. */
async function measureAlternating(edits: number, concurrency: number, block: number, modes: readonly ((i: number) => Promise<void>)[]): Promise<Run[]> {
  const runs = modes.map(() => [] as Run[]);
  for (let done = 0; done < edits; done += block) {
    for (const [m, one] of modes.entries()) runs[m]!.push(await measure(Math.min(block, edits - done), concurrency, one));
  }
  return runs.map((blocks) => {
    const wallS = blocks.reduce((t, r, k) => t + Math.min(block, edits - k * block) / r.editsPerS, 0);
    const median = (xs: number[]) => quantile(xs, 0.5);
    return { p50: median(blocks.map((r) => r.p50)), p90: median(blocks.map((r) => r.p90)), mean: blocks.reduce((t, r) => t + r.mean, 0) / blocks.length, editsPerS: edits / wallS };
  });
}

const fmt = (r: Run) => `p50 ${r.p50.toFixed(1)} ms | p90 ${r.p90.toFixed(1)} ms | mean ${r.mean.toFixed(1)} ms | ${r.editsPerS.toFixed(2)} edits/s`;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** `name;dur=12.3, other;dur=4` -> { name: 12.3, other: 4 } */
function serverTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? "").split(",")) {
    const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** One sample of a Prometheus text exposition: the value of `name{labels}` (labels as written), or NaN. */
function sample(body: string, series: string): number {
  for (const line of body.split("\n")) {
    if (line.startsWith(series + " ")) return Number(line.slice(series.length + 1));
  }
  return Number.NaN;
}

const SCRAPED: readonly ServiceName[] = ["gateway", "text-encoder", "vae", "unet"];
const MODELS = ["text_encoder", "task_classifier", "vae_encoder", "unet", "vae_decoder"] as const;

export async function benchEdit(opts: EditBenchOptions): Promise<void> {
  const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "models", "emu-edit-tiny");
  const pkg = await loadModelPackage(modelDir);
  const png = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { width: info.width, height: info.height, data: new Uint8Array(data) };
  const loadAtStart = os.loadavg()[0]!;
  console.log(
    `model ${pkg.name}, ${opts.steps} steps, ${opts.edits} sequential / ${opts.concurrentEdits} concurrent edits at c=${opts.concurrency}, ` +
      `preview every ${opts.previewEvery}, batch rows ${opts.batchRows}, workers ${opts.workers ?? "default"}; ${os.cpus().length} CPUs, load ${loadAtStart.toFixed(1)}, node ${process.version}`,
  );

  // Floor: the same model calls in a plain loop on the main thread.
  const floor = await createFloor(pkg, { steps: opts.steps, intraOpThreads: 1 });

  // Baseline: the in-process pipeline, same pool settings as the services.
  const local = await createInProcessPipeline(pkg, { pools: { workers: opts.workers ?? 1, intraOpThreads: 1 }, maxBatchRows: opts.batchRows });
  const input = (i: number) => ({
    editId: `bench-${i}`,
    image,
    instruction: "make the circle blue",
    task: pkg.tasks[0]?.name,
    sampling: { steps: opts.steps, guidanceScale: pkg.defaults.guidanceScale, imageGuidanceScale: pkg.defaults.imageGuidanceScale, seed: i },
  });
  const inStages: Record<string, number[]> = {};
  const localEdit = async (i: number) => {
    const out = await local.edit(input(i));
    for (const t of out.timings) (inStages[t.stage] ??= []).push(t.durationMs);
  };
  await localEdit(-1 >>> 0);
  for (const k of Object.keys(inStages)) delete inStages[k];

  // Distributed: HTTP through the gateway to the three services (private NATS), every service
  // with a metrics port so the benchmark reads the services' own model times and memory.
  const metricsPorts = Object.fromEntries(await Promise.all(SCRAPED.map(async (s) => [s, await freePort()] as const))) as Record<ServiceName, number>;
  const sys = await launchSystem({
    modelDir,
    privateNats: true,
    onLine: () => undefined,
    env: {
      EMUEDIT_PREVIEW_EVERY: String(opts.previewEvery),
      EMUEDIT_UNET_MAX_BATCH_ROWS: String(opts.batchRows),
      EMUEDIT_GATEWAY_METRICS_PORT: String(metricsPorts.gateway),
      EMUEDIT_TEXT_ENCODER_METRICS_PORT: String(metricsPorts["text-encoder"]),
      EMUEDIT_VAE_METRICS_PORT: String(metricsPorts.vae),
      EMUEDIT_UNET_METRICS_PORT: String(metricsPorts.unet),
      ...(opts.workers !== undefined
        ? { EMUEDIT_TEXT_ENCODER_WORKERS: String(opts.workers), EMUEDIT_VAE_WORKERS: String(opts.workers), EMUEDIT_UNET_WORKERS: String(opts.workers) }
        : {}),
    },
  });
  const scrape = async () =>
    Object.fromEntries(
      await Promise.all(SCRAPED.map(async (s) => [s, await (await fetch(`http://127.0.0.1:${metricsPorts[s]}/metrics`)).text()] as const)),
    ) as Record<ServiceName, string>;
  /** Per model: [sum of run ms, calls] over all services. */
  const modelRuns = (bodies: Record<ServiceName, string>) =>
    Object.fromEntries(
      MODELS.map((m) => {
        let sum = 0;
        let count = 0;
        for (const s of SCRAPED) {
          const sv = sample(bodies[s], `emuedit_model_run_ms_sum{model="${m}"}`);
          const cv = sample(bodies[s], `emuedit_model_run_ms_count{model="${m}"}`);
          if (!Number.isNaN(sv)) sum += sv;
          if (!Number.isNaN(cv)) count += cv;
        }
        return [m, [sum, count] as const];
      }),
    );
  const rss = (bodies: Record<ServiceName, string>) =>
    Object.fromEntries(SCRAPED.map((s) => [s, sample(bodies[s], "process_resident_memory_bytes")])) as Record<ServiceName, number>;

  const dStages: Record<string, number[]> = {};
  const overheads: number[] = [];
  const post = async (i: number) => {
    const form = new FormData();
    form.append("image", new Blob([png]), "in.png");
    form.append("instruction", "make the circle blue");
    if (pkg.tasks[0]) form.append("task", pkg.tasks[0].name);
    form.append("steps", String(opts.steps));
    form.append("seed", String(i));
    form.append("size", "working");
    const t0 = performance.now();
    const res = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", body: form });
    if (res.status !== 200) throw new Error(`edit failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    const wall = performance.now() - t0;
    const st = serverTiming(res.headers.get("server-timing"));
    for (const [k, v] of Object.entries(st)) (dStages[k] ??= []).push(v);
    const modelPath = Math.max(st.text_encode ?? 0, st.vae_encode ?? 0) + (st.denoise ?? 0) + (st.vae_decode ?? 0);
    overheads.push(wall - modelPath);
  };
  try {
    for (let i = 0; i < 3; i++) await post(i);
    for (const k of Object.keys(dStages)) delete dStages[k];
    overheads.length = 0;
    // Sequential: floor, in-process and distributed interleaved edit by edit (same load for all).
    const before = modelRuns(await scrape());
    const [floorSeq, inSeq, dSeq] = (await measureInterleaved(opts.edits, [() => floor.edit(), localEdit, post])) as [Run, Run, Run];
    const after = modelRuns(await scrape());
    const inSeqStages = Object.fromEntries(Object.entries(inStages).map(([k, v]) => [k, quantile(v, 0.5)]));
    const dSeqStages = Object.fromEntries(Object.entries(dStages).map(([k, v]) => [k, quantile(v, 0.5)]));
    const overheadP50 = quantile(overheads, 0.5);
    // Concurrent: in-process and distributed in alternating blocks.
    const [inPar, dPar] = (await measureAlternating(opts.concurrentEdits, opts.concurrency, Math.max(opts.concurrency, Math.ceil(opts.concurrentEdits / 4)), [
      (i) => local.edit(input(i)).then(() => undefined),
      post,
    ])) as [Run, Run];

    console.log(`floor       sequential     ${fmt(floorSeq)}`);
    console.log(`in-process  sequential     ${fmt(inSeq)}   (${(inSeq.p50 / floorSeq.p50).toFixed(2)}x floor p50)`);
    console.log(`distributed sequential     ${fmt(dSeq)}   (${(dSeq.p50 / inSeq.p50).toFixed(2)}x in-process p50)`);
    console.log(`in-process  concurrency ${opts.concurrency} ${fmt(inPar)}`);
    console.log(`distributed concurrency ${opts.concurrency} ${fmt(dPar)}   (${(dPar.editsPerS / inPar.editsPerS).toFixed(2)}x in-process throughput)`);
    const stageLine = (s: Record<string, number>) => Object.entries(s).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
    console.log(`in-process  stages p50 ms (sequential): ${stageLine(inSeqStages)}`);
    console.log(`distributed stages p50 ms (Server-Timing, sequential): ${stageLine(dSeqStages)}`);
    const perEdit = Object.fromEntries(
      MODELS.map((m) => {
        const [s1, c1] = after[m]!;
        const [s0, c0] = before[m]!;
        return [m, { msPerEdit: (s1 - s0) / opts.edits, callsPerEdit: (c1 - c0) / opts.edits }];
      }),
    );
    console.log(
      `model run ms per edit (services' emuedit_model_run_ms, sequential): ` +
        Object.entries(perEdit).map(([m, v]) => `${m} ${v.msPerEdit.toFixed(1)} (${v.callsPerEdit.toFixed(1)} calls)`).join(", "),
    );
    console.log(`gateway overhead p50 ${overheadP50.toFixed(2)} ms (wall - max(text_encode, vae_encode) - denoise - vae_decode)`);

    let rssGrowth: Record<string, number> | undefined;
    if (opts.rssEdits > 0) {
      // Warm-up first (heaps, arenas and caches reach their working size), then a sample every
      // quarter: growth that keeps rising through the quarters is a leak, a first-quarter step is not.
      await measure(Math.min(200, Math.ceil(opts.rssEdits / 5)), opts.concurrency, post);
      const samples = [rss(await scrape())];
      for (let q = 0; q < 4; q++) {
        await measure(Math.ceil(opts.rssEdits / 4), opts.concurrency, post);
        samples.push(rss(await scrape()));
      }
      const first = samples[0]!;
      const last = samples[samples.length - 1]!;
      rssGrowth = Object.fromEntries(SCRAPED.map((s) => [s, round((100 * (last[s] - first[s])) / first[s], 1)]));
      for (const s of SCRAPED) {
        const mib = samples.map((x) => (x[s] / 2 ** 20).toFixed(1)).join(" -> ");
        console.log(`rss ${s.padEnd(12)} ${mib} MiB (every ${Math.ceil(opts.rssEdits / 4)} edits; ${rssGrowth[s]}% over ${opts.rssEdits})`);
      }
    }
    console.log(
      JSON.stringify({
        model: pkg.name,
        steps: opts.steps,
        workers: opts.workers ?? "default",
        cpus: os.cpus().length,
        load_start: round(loadAtStart),
        load_end: round(os.loadavg()[0]!),
        floor_c1_p50_ms: round(floorSeq.p50),
        inprocess_c1_p50_ms: round(inSeq.p50),
        distributed_c1_p50_ms: round(dSeq.p50),
        [`inprocess_c${opts.concurrency}_eps`]: round(inPar.editsPerS),
        [`distributed_c${opts.concurrency}_eps`]: round(dPar.editsPerS),
        gateway_overhead_p50_ms: round(overheadP50),
        inprocess_over_floor: round(inSeq.p50 / floorSeq.p50, 3),
        distributed_over_inprocess: round(dSeq.p50 / inSeq.p50, 3),
        throughput_distributed_over_inprocess: round(dPar.editsPerS / inPar.editsPerS, 3),
        ...(rssGrowth ? { rss_growth_pct: rssGrowth, rss_edits: opts.rssEdits } : {}),
      }),
    );
  } finally {
    await sys.stop();
    await Promise.all([floor.close(), local.close()]);
  }
}
