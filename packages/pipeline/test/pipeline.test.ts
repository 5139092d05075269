import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createScheduler, type SchedulerConfig } from "@emuedit/diffusion";
import { loadModelPackage, type ModelPackage } from "@emuedit/model-package";
import { createSessionPool, type SessionPool } from "@emuedit/onnx-runtime";
import {
  createInProcessPipeline,
  createVaeStage,
  EditAbortedError,
  InvalidEditError,
  resolveTask,
  runDenoisingLoop,
  UnknownTaskError,
  type InProcessPipeline,
  type StepReport,
} from "../src/index.js";

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
  steps: 4,
  guidanceScale: 2.5,
  imageGuidanceScale: 1.5,
  seed,
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
    steps: 6,
    guidanceScale: 3,
    imageGuidanceScale: 1.5,
    seed: 1234,
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
    await runDenoisingLoop({ ...(await loopInputs()), steps: 7, previewEvery: 3, onStep: (r) => void steps.push(r.step) });
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

  test("task resolution - unknown names are refused with the known list", () => {
    const tasks = { get: (n: string) => pkg.tasks.find((t) => t.name === n), list: () => pkg.tasks };
    assert.throws(() => resolveTask(tasks, "teleport", null), (e: unknown) => e instanceof UnknownTaskError && e.known.length === 16);
    const logits = new Float32Array(16);
    logits[4] = 5;
    const r = resolveTask(tasks, undefined, { dtype: "float32", shape: [1, 16], data: logits });
    assert.equal(r?.task.id, 4);
    assert.ok(r!.predicted && r!.confidence > 0.9);
  });
});
