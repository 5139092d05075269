import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModelPackage, type ModelPackage } from "@emuedit/model-package";
import { createSessionPool, type SessionPool } from "@emuedit/onnx-runtime";
import type { HostTensor } from "@emuedit/tensors";
import { createStepBatcher } from "../src/index.js";

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-tiny");
let pkg: ModelPackage;
let pool: SessionPool;

before(async () => {
  pkg = await loadModelPackage(FIXTURE);
  pool = await createSessionPool({ modelPath: pkg.unet.path, workers: 1, intraOpThreads: 1 });
});
after(async () => pool?.close());

function feeds(seed: number, t: number): Record<string, HostTensor> {
  let s = seed;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1);
  const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;
  const e = pkg.unet.taskEmbeddingDim!;
  return {
    sample: { dtype: "float32", shape: [3, 8, 16, 16], data: rand(3 * 8 * 256) },
    timestep: { dtype: "float32", shape: [3], data: new Float32Array(3).fill(t) },
    encoder_hidden_states: { dtype: "float32", shape: [3, l, d], data: rand(3 * l * d) },
    task_embedding: { dtype: "float32", shape: [3, e], data: rand(3 * e) },
  };
}

describe("step batcher", () => {
  test("batcher - each request's queue wait and each call's run reach the pool's observer; each caller learns its batch's size", async () => {
    const waited: number[] = [];
    const ran: number[] = [];
    const observed = await createSessionPool({
      modelPath: pkg.unet.path,
      workers: 1,
      intraOpThreads: 1,
      observer: { waited: (ms) => waited.push(ms), ran: (ms) => ran.push(ms) },
    });
    try {
      const batcher = createStepBatcher(observed, { maxRows: 12, maxInFlight: 1 });
      const sizes: number[] = [0, 0, 0, 0];
      await Promise.all([1, 2, 3, 4].map((seed, i) => batcher.run(feeds(seed, 500), { onBatch: (edits) => (sizes[i] = edits) })));
      // Two ONNX calls (one alone, then three together), four requests each with its own wait.
      assert.deepEqual(sizes, [1, 3, 3, 3]);
      assert.equal(ran.length, 2);
      assert.equal(waited.length, 4);
      for (const ms of [...waited, ...ran]) assert.ok(ms >= 0 && Number.isFinite(ms));
      // A request that arrived while the first call ran waited for it: longer than the one that
      // went at once. (Which of the three arrived first depends on the scheduler, so only the
      // longest wait is compared.)
      assert.ok(Math.max(...waited.slice(1)) > waited[0]!, `waits ${waited.join(", ")}`);
    } finally {
      await observed.close();
    }
  });

  test("batcher - concurrent calls share one ONNX call and each gets its own rows", async () => {
    const batches: number[] = [];
    const batcher = createStepBatcher(pool, { maxRows: 12, maxInFlight: 1 }, (rows) => batches.push(rows));
    const inputs = [feeds(1, 999), feeds(2, 500), feeds(3, 20), feeds(4, 1)];
    const together = await Promise.all(inputs.map((f) => batcher.run(f)));
    // The first goes at once (a slot was free); the other three waited for it and went together.
    assert.deepEqual(batches, [3, 9]);
    for (let i = 0; i < inputs.length; i++) {
      const alone = (await pool.run(inputs[i]!)).out_sample!.data as Float32Array;
      const mine = together[i]!.out_sample!;
      assert.deepEqual(mine.shape, [3, 4, 16, 16]);
      let maxDiff = 0;
      for (let j = 0; j < alone.length; j++) maxDiff = Math.max(maxDiff, Math.abs(alone[j]! - (mine.data as Float32Array)[j]!));
      assert.ok(maxDiff < 1e-5, `call ${i}: max diff ${maxDiff} against running alone`);
    }
  });

  test("batcher - batches never exceed maxRows and a lone call goes at once", async () => {
    const batches: number[] = [];
    const batcher = createStepBatcher(pool, { maxRows: 6, maxInFlight: 1 }, (rows) => batches.push(rows));
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => batcher.run(feeds(i, 10))));
    assert.deepEqual(batches, [3, 6, 6, 3]);
    batches.length = 0;
    await batcher.run(feeds(7, 10));
    assert.deepEqual(batches, [3]);
  });

  test("batcher - an aborted call is dropped from its window", async () => {
    const batcher = createStepBatcher(pool, { maxRows: 12, maxInFlight: 1 });
    const busy = batcher.run(feeds(9, 10));
    const ac = new AbortController();
    const dropped = batcher.run(feeds(1, 10), { signal: ac.signal });
    const kept = batcher.run(feeds(2, 10));
    await busy;
    ac.abort(new Error("gone"));
    await assert.rejects(dropped, /gone/);
    assert.deepEqual((await kept).out_sample!.shape, [3, 4, 16, 16]);
  });
});
