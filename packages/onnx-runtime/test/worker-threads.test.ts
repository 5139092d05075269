// What worker threads buy: the caller's event loop keeps running during inference, a dead
// worker is replaced, and workers load under both ways of running TypeScript here.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { InferenceSession } from "onnxruntime-node";
import { toOrtTensor } from "../src/ort-tensor.js";
import { SessionWorkerError, createSessionPool } from "../src/index.js";
import { crashWorkerForTest } from "../src/session-pool.js";
import { fixtureModel, unetFeeds } from "./helpers/fixture.js";

/** Runs `work` while a 1 ms interval ticks; returns the ticks seen and the longest gap. */
async function tickDuring(work: () => Promise<unknown>): Promise<{ ms: number; ticks: number; maxGapMs: number }> {
  let ticks = 0;
  let last = performance.now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 1);
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  clearInterval(timer);
  return { ms, ticks, maxGapMs: Math.max(maxGapMs, performance.now() - last) };
}

// Fixture UNet at batch 512: ~0.3-0.6 s per run on the 2-core dev machine, far above timer jitter.
const HEAVY_BATCH = 512;

describe("worker threads", () => {
  test("worker threads - a 1 ms interval keeps firing during a long run, unlike an inline run", async (t) => {
    const feeds = unetFeeds(HEAVY_BATCH);
    // Control: the same run on the main thread starves the interval for its whole duration.
    const direct = await InferenceSession.create(fixtureModel("unet"), { intraOpNumThreads: 1 });
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrtTensor(v)]));
    const inline = await tickDuring(() => direct.run(ortFeeds));
    await direct.release();

    const pool = await createSessionPool({ modelPath: fixtureModel("unet"), workers: 1, intraOpThreads: 1 });
    try {
      const pooled = await tickDuring(() => pool.run(feeds));
      const report = `inline ${JSON.stringify(inline)} pooled ${JSON.stringify(pooled)}`;
      t.diagnostic(report);
      assert.ok(inline.ms > 100, `the heavy run should take > 100 ms: ${report}`);
      assert.ok(inline.maxGapMs > 0.8 * inline.ms, `control: inline run blocks the loop: ${report}`);
      // The loop is free: gaps stay far below the run time and ticks keep coming (timers on a
      // shared 2-core box are coarse, so the bounds are loose but an order of magnitude apart).
      assert.ok(pooled.maxGapMs < 0.25 * pooled.ms, `pooled run leaves the loop free: ${report}`);
      assert.ok(pooled.ticks > pooled.ms / 10, `ticks keep coming: ${report}`);
    } finally {
      await pool.close();
    }
  });

  test("worker threads - a crashed worker fails its run with SessionWorkerError and is replaced", async () => {
    const pool = await createSessionPool({ modelPath: fixtureModel("unet"), workers: 1, intraOpThreads: 1 });
    try {
      pool[crashWorkerForTest](0);
      const running = pool.run(unetFeeds(2));
      const queued = pool.run(unetFeeds(2));
      await assert.rejects(running, (e: Error) => {
        assert.ok(e instanceof SessionWorkerError);
        assert.match(e.message, /^unet: worker 0 died during a run \(forced worker crash \(test hook\)\)$/);
        assert.match(String((e.cause as Error).stack), /session-worker\.ts/);
        return true;
      });
      // The queued run goes to the replacement worker.
      assert.deepEqual((await queued)["out_sample"]?.shape, [2, 4, 16, 16]);
      assert.deepEqual((await pool.run(unetFeeds(1)))["out_sample"]?.shape, [1, 4, 16, 16]);
    } finally {
      await pool.close();
    }
  });

  test("worker threads - workers load under the tsx CLI as well as node --import tsx", async () => {
    const script = fileURLToPath(new URL("./helpers/pool-smoke.ts", import.meta.url));
    const tsxCli = fileURLToPath(import.meta.resolve("tsx/cli"));
    const { stdout } = await promisify(execFile)(process.execPath, [tsxCli, script, fixtureModel("vae_decoder")]);
    assert.equal(stdout.trim(), "vae_decoder sample 1,3,64,64");
  });
});
