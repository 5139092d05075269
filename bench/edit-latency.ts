// Edit latency (sequential) and throughput (concurrent) for the distributed system against the
// in-process pipeline on the same model, inputs and settings.
import os from "node:os";
import path from "node:path";
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { launchSystem, REPO_ROOT } from "@emuedit/launcher";
import { loadModelPackage } from "@emuedit/model-package";
import { createInProcessPipeline } from "@emuedit/stages";

export interface EditBenchOptions {
  readonly modelDir?: string;
  readonly steps: number;
  readonly edits: number;
  readonly concurrency: number;
  /** EMUEDIT_PREVIEW_EVERY of the distributed system. */
  readonly previewEvery: number;
  /** UNet rows per batched call, both sides (3 = no batching). */
  readonly batchRows: number;
}

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function measure(edits: number, concurrency: number, one: (i: number) => Promise<void>) {
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
  return { ...stats(latencies), editsPerS: edits / wallS };
}

const fmt = (r: { p50: number; p90: number; mean: number; editsPerS: number }) =>
  `p50 ${r.p50.toFixed(1)} ms | p90 ${r.p90.toFixed(1)} ms | mean ${r.mean.toFixed(1)} ms | ${r.editsPerS.toFixed(2)} edits/s`;

export async function benchEdit(opts: EditBenchOptions): Promise<void> {
  const modelDir = opts.modelDir ?? path.join(REPO_ROOT, "models", "emu-edit-tiny");
  const pkg = await loadModelPackage(modelDir);
  const png = await readFile(path.join(REPO_ROOT, "examples", "red-circle.png"));
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { width: info.width, height: info.height, data: new Uint8Array(data) };
  console.log(
    `model ${pkg.name}, ${opts.steps} steps, ${opts.edits} edits, preview every ${opts.previewEvery}, batch rows ${opts.batchRows}; ` +
      `${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`,
  );

  // Baseline: the in-process pipeline, same pool settings as the services
  const local = await createInProcessPipeline(pkg, { pools: { workers: 1, intraOpThreads: 1 }, maxBatchRows: opts.batchRows });
  const input = (i: number) => ({
    editId: `bench-${i}`,
    image,
    instruction: "make the circle blue",
    task: pkg.tasks[0]?.name,
    sampling: { steps: opts.steps, guidanceScale: pkg.defaults.guidanceScale, imageGuidanceScale: pkg.defaults.imageGuidanceScale, seed: i },
  });
  await local.edit(input(-1 >>> 0));
  const inSeq = await measure(opts.edits, 1, async (i) => void (await local.edit(input(i))));
  const inPar = await measure(opts.edits, opts.concurrency, async (i) => void (await local.edit(input(i))));
  await local.close();

  // Distributed: HTTP through the gateway to the three services (private NATS).
  const sys = await launchSystem({
    modelDir,
    privateNats: true,
    onLine: () => undefined,
    env: { EMUEDIT_PREVIEW_EVERY: String(opts.previewEvery), EMUEDIT_UNET_MAX_BATCH_ROWS: String(opts.batchRows) },
  });
  const post = async (i: number) => {
    const form = new FormData();
    form.append("image", new Blob([png]), "in.png");
    form.append("instruction", "make the circle blue");
    if (pkg.tasks[0]) form.append("task", pkg.tasks[0].name);
    form.append("steps", String(opts.steps));
    form.append("seed", String(i));
    form.append("size", "working");
    const res = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", body: form });
    if (res.status !== 200) throw new Error(`edit failed: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  try {
    await post(0);
    const dSeq = await measure(opts.edits, 1, post);
    const dPar = await measure(opts.edits, opts.concurrency, post);
    console.log(`in-process  sequential     ${fmt(inSeq)}`);
    console.log(`distributed sequential     ${fmt(dSeq)}   (${(dSeq.p50 / inSeq.p50).toFixed(2)}x in-process p50)`);
    console.log(`in-process  concurrency ${opts.concurrency}  ${fmt(inPar)}`);
    console.log(`distributed concurrency ${opts.concurrency}  ${fmt(dPar)}   (${(dPar.editsPerS / inPar.editsPerS).toFixed(2)}x in-process throughput)`);
  } finally {
    await sys.stop();
  }
}
