// A model whose spatial dims are dynamic and whose timestep is per row (as every real
// InstructPix2Pix export): edits of different image sizes running at once must not be stacked
// into one UNet call (their latents have different shapes), and each must equal its solo result.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModelPackage, type ModelPackage } from "@emuedit/model-package";
import type { SessionPool } from "@emuedit/onnx-runtime";
import type { HostTensor } from "@emuedit/tensors";
import { createInProcessPipeline, createStepBatcher, openComponent, type InProcessPipeline } from "../src/index.js";

const DYNAMIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-dynamic");

let pkg: ModelPackage;
let pipeline: InProcessPipeline;
let unet: SessionPool;

before(async () => {
  pkg = await loadModelPackage(DYNAMIC);
  pipeline = await createInProcessPipeline(pkg);
  unet = await openComponent(pkg, pkg.unet, "unet", { workers: 1, intraOpThreads: 1 });
});

after(async () => {
  await pipeline?.close();
  await unet?.close();
});

/** A gray scene with a red disc, any size. */
function scene(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set((x - width / 2) ** 2 + (y - height / 2) ** 2 < 100 ? [220, 40, 40] : [128, 128, 128], i * 3);
  }
  return { width, height, data };
}

const edit = (width: number, height: number, seed: number) =>
  pipeline.edit({
    editId: `e-${width}x${height}-${seed}`,
    image: scene(width, height),
    instruction: "make the circle blue",
    task: "local",
    sampling: { steps: 4, guidanceScale: 2.5, imageGuidanceScale: 1.5, seed },
  });

/** UNet feeds for one 3-row guidance batch of latent size h x w. */
function feeds(seed: number, h: number, w: number): Record<string, HostTensor> {
  let s = seed;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1);
  const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;
  const e = pkg.unet.taskEmbeddingDim!;
  return {
    sample: { dtype: "float32", shape: [3, 8, h, w], data: rand(3 * 8 * h * w) },
    timestep: { dtype: "float32", shape: [3], data: new Float32Array(3).fill(500 - seed) },
    encoder_hidden_states: { dtype: "float32", shape: [3, l, d], data: rand(3 * l * d) },
    task_embedding: { dtype: "float32", shape: [3, e], data: rand(3 * e) },
  };
}

describe("dynamic sizes", () => {
  test("dynamic sizes - the fixture's UNet has dynamic spatial dims and a per-row timestep", () => {
    const sample = pkg.unet.inputs.find((i) => i.name === "sample")!;
    assert.equal(typeof sample.dims?.[2], "string");
    assert.equal(typeof sample.dims?.[3], "string");
    assert.equal(pkg.unet.timestepShape, "batch");
  });

  test("batcher - calls of two latent shapes at once go out as one call per shape, each row its own result", async () => {
    const batches: Array<{ rows: number; edits: number }> = [];
    const batcher = createStepBatcher(unet, { maxRows: 12, maxInFlight: 1 }, (rows, edits) => batches.push({ rows, edits }));
    const inputs = [feeds(1, 16, 16), feeds(2, 16, 24), feeds(3, 16, 16), feeds(4, 16, 24), feeds(5, 16, 24)];
    const together = await Promise.all(inputs.map((f) => batcher.run(f)));
    // The first goes at once; the four that waited for it go as one call per shape, in the order
    // each shape first arrived.
    assert.deepEqual(batches, [
      { rows: 3, edits: 1 },
      { rows: 9, edits: 3 },
      { rows: 3, edits: 1 },
    ]);
    for (const [i, f] of inputs.entries()) {
      const alone = (await unet.run(f)).out_sample!;
      const mine = together[i]!.out_sample!;
      assert.deepEqual(mine.shape, alone.shape);
      let maxDiff = 0;
      for (let j = 0; j < alone.data.length; j++) maxDiff = Math.max(maxDiff, Math.abs((alone.data as Float32Array)[j]! - (mine.data as Float32Array)[j]!));
      assert.ok(maxDiff < 1e-5, `call ${i}: max diff ${maxDiff} against running alone`);
    }
  });

  test("pipeline - concurrent edits of two sizes each equal their solo result", async () => {
    const sizes = [
      [64, 64],
      [96, 64],
      [64, 128],
    ] as const;
    const solo: Awaited<ReturnType<typeof edit>>[] = [];
    for (const [w, h] of sizes) solo.push(await edit(w, h, 7));
    const together = await Promise.all([...sizes, ...sizes].map(([w, h]) => edit(w, h, 7)));
    together.forEach((out, i) => {
      const ref = solo[i % sizes.length]!;
      assert.deepEqual([out.image.width, out.image.height], [ref.image.width, ref.image.height]);
      assert.ok(Buffer.from(out.image.data).equals(Buffer.from(ref.image.data)), `edit ${i} (${out.image.width}x${out.image.height}) equals its solo result`);
    });
  });
});
