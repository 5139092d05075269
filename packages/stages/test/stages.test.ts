import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createScheduler, type SchedulerConfig } from "@emuedit/diffusion";
import { createUncondCache, EditAbortedError, InvalidEditError } from "@emuedit/edit-contract";
import { loadModelPackage, type ModelPackage } from "@emuedit/model-package";
import { createSessionPool, liveSessionWorkers, type SessionPool } from "@emuedit/onnx-runtime";
import { createInProcessPipeline, createVaeStage, runDenoisingLoop, type InProcessPipeline, type StepReport } from "../src/index.js";

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-tiny");
// a plain diffusers-layout package whose decoder reads only the latent
const IP2P = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../model-package/test/fixtures/ip2p-tiny");

let pkg: ModelPackage;
let pipeline: InProcessPipeline;
let unet: SessionPool;

before(async () => {
  pkg = await loadModelPackage(FIXTURE);
  pipeline = await createInProcessPipeline(pkg);
  unet = await createSessionPool({ modelPath: pkg.unet.path, workers: 1, intraOpThreads: 1, name: "unet" });
});

after(async () => {
  await pipeline?.close();
  await unet?.close();
});

function scene(): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) {
    const x = i % 64;
    const y = Math.floor(i / 64);
    const inside = (x - 32) ** 2 + (y - 32) ** 2 < 100;
    data.set(inside ? [220, 40, 40] : [128, 128, 128], i * 3);
  }
  return { width: 64, height: 64, data };
}

const editInput = (seed: number) => ({
  editId: "t",
  image: scene(),
  instruction: "make the circle blue",
  task: "local",
  sampling: { steps: 4, guidanceScale: 2.5, imageGuidanceScale: 1.5, seed },
});

async function loopInputs(schedulerName?: string) {
  const [text, uncond, latent] = await Promise.all([
    pipeline.text.encode(["make the circle blue"]),
    pipeline.text.encode([""]),
    pipeline.vae.encode({ dtype: "uint8", shape: [1, 64, 64, 3], data: scene().data }),
  ]);
  return {
    scheduler: createScheduler(pkg.schedulerConfig as SchedulerConfig, schedulerName ? { className: schedulerName } : undefined),
    unet: pkg.unet,
    runner: unet,
    dims: { channels: 4, height: 16, width: 16 },
    imageLatent: latent.data as Float32Array,
    textEmbedding: text.lastHiddenState.data as Float32Array,
    uncondEmbedding: uncond.lastHiddenState.data as Float32Array,
    seqLen: pkg.textEncoder.sequenceLength,
    hiddenDim: pkg.textEncoder.hiddenDim,
    taskEmbedding: pkg.tasks[2]!.embedding,
    sampling: { steps: 6, guidanceScale: 3, imageGuidanceScale: 1.5, seed: 1234 },
  };
}

describe("pipeline", () => {
  test("pipeline - an in-process edit returns the working-size image, deterministic by seed", async () => {
    const a = await pipeline.edit(editInput(5));
    const b = await pipeline.edit(editInput(5));
    const c = await pipeline.edit(editInput(6));
    assert.deepEqual([a.image.width, a.image.height], [64, 64]);
    assert.ok(Buffer.from(a.image.data).equals(Buffer.from(b.image.data)));
    assert.ok(!Buffer.from(a.image.data).equals(Buffer.from(c.image.data)));
    assert.equal(a.task?.task.name, "local");
    assert.deepEqual(a.timings.map((t) => t.stage).sort(), ["denoise", "text_encode", "vae_decode", "vae_encode"]);
  });

  test("pipeline - the task is predicted from the instruction when none is given", async () => {
    const { task: _task, ...rest } = editInput(1);
    const out = await pipeline.edit(rest);
    assert.ok(out.task?.predicted);
    assert.ok(out.task.confidence > 0 && out.task.confidence <= 1);
  });

  for (const name of ["EulerAncestralDiscreteScheduler", "DPMSolverMultistepScheduler", "DDIMScheduler"]) {
    test(`denoising loop - resuming from a step-3 checkpoint ends bit-identical (${name})`, async () => {
      const reports: StepReport[] = [];
      const full = await runDenoisingLoop({ ...(await loopInputs(name)), onStep: (r) => void reports.push(r) });
      const cp = reports[2]!;
      assert.equal(cp.step, 3);
      const resumed = await runDenoisingLoop({
        ...(await loopInputs(name)),
        resume: { stepIndex: cp.step, latent: cp.latent, history: cp.schedulerState.history },
      });
      assert.ok(Buffer.from(full.buffer).equals(Buffer.from(resumed.buffer)), "bit-identical");
    });
  }

  test("denoising loop - previewEvery publishes every N-th and always the last step", async () => {
    const steps: number[] = [];
    const inputs = await loopInputs();
    await runDenoisingLoop({ ...inputs, sampling: { ...inputs.sampling, steps: 7 }, previewEvery: 3, onStep: (r) => void steps.push(r.step) });
    assert.deepEqual(steps, [3, 6, 7]);
  });

  test("denoising loop - an aborted signal stops the loop at the next step", async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      runDenoisingLoop({
        ...(await loopInputs()),
        signal: ac.signal,
        onStep: (r) => {
          seen.push(r.step);
          if (r.step === 2) ac.abort();
        },
      }),
      (err: unknown) => err instanceof EditAbortedError && err.stepsDone === 2,
    );
    assert.deepEqual(seen, [1, 2]);
  });

  test("vae stage - fixture-tiny's decoder reads the edit's source; a plain decoder ignores one", async () => {
    const rgb = (value: number) => ({ dtype: "uint8" as const, shape: [1, 64, 64, 3], data: new Uint8Array(64 * 64 * 3).fill(value) });
    const z = await pipeline.vae.encode(rgb(128));
    const scaled = { ...z, data: (z.data as Float32Array).map((v) => v * pkg.scalingFactor) };
    assert.equal(pipeline.vae.takesSource, true);
    // the same latent with another source image decodes to another image
    const grey = await pipeline.vae.decode(scaled, rgb(128));
    assert.ok(!Buffer.from(grey.data as Uint8Array).equals(Buffer.from((await pipeline.vae.decode(scaled, rgb(250))).data as Uint8Array)));
    await assert.rejects(pipeline.vae.decode(scaled, null), (e: unknown) => e instanceof InvalidEditError && /source_images/.test(e.message));
    await assert.rejects(pipeline.vae.decode(scaled, { ...rgb(1), shape: [1, 32, 32, 3] }), InvalidEditError);
    const ip2p = await loadModelPackage(IP2P);
    assert.equal(ip2p.vaeDecoder.takesSource, false);
    const opts = { workers: 1, intraOpThreads: 1 };
    const [encoder, decoder] = await Promise.all([createSessionPool({ modelPath: ip2p.vaeEncoder.path, ...opts }), createSessionPool({ modelPath: ip2p.vaeDecoder.path, ...opts })]);
    try {
      const plain = createVaeStage(ip2p, { encoder, decoder });
      const n = ip2p.resolution;
      const img = { dtype: "uint8" as const, shape: [1, n, n, 3], data: new Uint8Array(n * n * 3).fill(90) };
      const lat = await plain.encode(img);
      const without = await plain.decode(lat, null);
      const withSource = await plain.decode(lat, { ...img, data: new Uint8Array(n * n * 3).fill(200) });
      assert.deepEqual(without.shape, [1, n, n, 3]);
      assert.ok(Buffer.from(without.data as Uint8Array).equals(Buffer.from(withSource.data as Uint8Array)));
    } finally {
      await Promise.all([encoder.close(), decoder.close()]);
    }
  });

  test("pipeline - below the minimum confidence a predicted task is refused, an explicit one still runs", async () => {
    const strict = await createInProcessPipeline(pkg, { minTaskConfidence: 0.999999 });
    try {
      const { task: _task, ...predicted } = editInput(1);
      await assert.rejects(strict.edit({ ...predicted, instruction: "zzz qqq" }), { name: "TaskUnclearError", code: "task_unclear" });
      assert.equal((await strict.edit(editInput(1))).task?.task.name, "local");
    } finally {
      await strict.close();
    }
  });

  test("uncond cache - a caller that goes away at a cold start does not fail the others waiting", async () => {
    let encodes = 0;
    const cache = createUncondCache((texts, signal) => {
      encodes++;
      return pipeline.text.encode(texts, signal);
    });
    const gone = new AbortController();
    const first = cache.get(gone.signal);
    const second = cache.get(new AbortController().signal);
    gone.abort(new Error("client disconnected"));
    await assert.rejects(first, /client disconnected/);
    const embedding = await second;
    assert.deepEqual(embedding.shape, [1, pkg.textEncoder.sequenceLength, pkg.textEncoder.hiddenDim]);
    assert.equal(encodes, 1, "one shared encode");
    assert.deepEqual((await cache.get(new AbortController().signal)).data, embedding.data);
    assert.equal(encodes, 1, "cached after that");
  });

  test("pipeline - a session that fails to open leaves no worker thread of the others behind", async () => {
    const before = liveSessionWorkers();
    const broken = path.join(tmpdir(), `emuedit-broken-${process.pid}.onnx`);
    await writeFile(broken, "not an onnx model");
    const bad: ModelPackage = { ...pkg, unet: { ...pkg.unet, path: broken } };
    await assert.rejects(createInProcessPipeline(bad), { name: "SessionLoadError" });
    assert.equal(liveSessionWorkers(), before, "every pool that did open was closed");
  });
});
