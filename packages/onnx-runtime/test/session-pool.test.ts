import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { InferenceSession } from "onnxruntime-node";
import type { HostTensor } from "@emuedit/tensors";
import { fromOrtTensor, toOrtTensor } from "../src/ort-tensor.js";
import {
  SessionClosedError,
  ExecutionProviderError,
  SessionLoadError,
  SessionQueueFullError,
  SessionRunError,
  createSessionPool,
  liveSessionWorkers,
  type SessionPool,
} from "../src/index.js";
import { fixtureModel, textFeeds, unetFeeds } from "./helpers/fixture.js";

describe("session pool", () => {
  let unet: SessionPool;
  before(async () => {
    unet = await createSessionPool({ modelPath: fixtureModel("unet"), workers: 1, intraOpThreads: 1, maxQueue: 2 });
  });
  after(() => unet.close());

  test("session pool - reports the model's inputs and outputs once ready", () => {
    assert.equal(unet.name, "unet");
    assert.deepEqual(unet.inputNames, ["sample", "timestep", "encoder_hidden_states", "task_embedding"]);
    assert.deepEqual(unet.outputNames, ["out_sample"]);
    assert.deepEqual(unet.inputMetadata[0], { name: "sample", dtype: "float32", dims: ["batch", 8, 16, 16] });
  });

  test("session pool - outputs equal a direct onnxruntime session's", async () => {
    const path = fixtureModel("text_encoder");
    const pool = await createSessionPool({ modelPath: path, workers: 2, intraOpThreads: 1 });
    const direct = await InferenceSession.create(path, { intraOpNumThreads: 1 });
    try {
      const feeds = textFeeds(3);
      const want = await direct.run({ input_ids: toOrtTensor(feeds["input_ids"]!) });
      const got = await pool.run(feeds);
      for (const name of ["last_hidden_state", "pooler_output"]) {
        const w = fromOrtTensor(want[name]!);
        assert.deepEqual(got[name]?.shape, w.shape);
        assert.deepEqual(got[name]?.data, w.data, name);
      }
      const onlyPooled = await pool.run(feeds, { outputNames: ["pooler_output"] });
      assert.deepEqual(Object.keys(onlyPooled), ["pooler_output"]);
    } finally {
      await direct.release();
      await pool.close();
    }
  });

  test("session pool - feeds that do not fit the inputs reject with SessionRunError before running", async () => {
    const feeds = unetFeeds(1);
    const cases: Array<[Record<string, HostTensor>, RegExp]> = [
      [{ ...feeds, extra: feeds["timestep"]! }, /^unet: unknown input "extra"/],
      [{ sample: feeds["sample"]! }, /^unet: missing input "timestep" float32\[batch\]/],
      [{ ...feeds, timestep: { dtype: "int32", shape: [1], data: new Int32Array(1) } }, /^unet: input "timestep" is int32, the model wants float32/],
      [{ ...feeds, sample: { dtype: "float32", shape: [1, 4, 16, 16], data: new Float32Array(1024) } }, /^unet: input "sample" has shape \[1,4,16,16\], the model wants \[batch,8,16,16\]/],
    ];
    for (const [bad, message] of cases) {
      await assert.rejects(unet.run(bad), (e: Error) => e instanceof SessionRunError && message.test(e.message));
    }
    await assert.rejects(unet.run(feeds, { outputNames: ["nope"] }), /^SessionRunError: unet: unknown output\(s\) nope/);
  });

  test("session pool - an onnxruntime error rejects with SessionRunError and the worker keeps serving", async () => {
    // Batch 2 for the latent but 3 for the text: only the graph can see the mismatch.
    const feeds = { ...unetFeeds(2), encoder_hidden_states: unetFeeds(3)["encoder_hidden_states"]! };
    await assert.rejects(unet.run(feeds), (e: Error) => {
      assert.ok(e instanceof SessionRunError);
      assert.match(e.message, /^unet: onnxruntime rejected the run: .+/);
      return true;
    });
    const ok = await unet.run(unetFeeds(2));
    assert.deepEqual(ok["out_sample"]?.shape, [2, 4, 16, 16]);
  });

  test("session pool - a full queue rejects with SessionQueueFullError", async () => {
    const running = unet.run(unetFeeds(16)); // dispatched to the only worker
    const queued = [unet.run(unetFeeds(1)), unet.run(unetFeeds(1))]; // maxQueue 2
    assert.equal(unet.activeRuns(), 1);
    assert.equal(unet.queueDepth(), 2);
    await assert.rejects(unet.run(unetFeeds(1)), (e: Error) => e instanceof SessionQueueFullError && /maxQueue 2/.test(e.message));
    await Promise.all([running, ...queued]);
    assert.equal(unet.queueDepth(), 0);
  });

  test("session pool - aborting a queued run rejects with the signal's reason and frees its slot", async () => {
    const running = unet.run(unetFeeds(16));
    const controller = new AbortController();
    const queued = unet.run(unetFeeds(1), { signal: controller.signal });
    assert.equal(unet.queueDepth(), 1);
    controller.abort();
    await assert.rejects(queued, { name: "AbortError" });
    assert.equal(unet.queueDepth(), 0);
    await running;
    await assert.rejects(unet.run(unetFeeds(1), { signal: AbortSignal.abort() }), { name: "AbortError" });
  });

  test("session pool - copies feeds by default and moves them with transfer: true", async () => {
    const copied = unetFeeds(1);
    await unet.run(copied);
    assert.equal(copied["sample"]?.data.length, 8 * 16 * 16);
    const moved = unetFeeds(1);
    const pending = unet.run(moved, { transfer: true });
    assert.equal(moved["sample"]?.data.byteLength, 0, "detached as soon as run() returns");
    assert.deepEqual((await pending)["out_sample"]?.shape, [1, 4, 16, 16]);
  });

  test("session pool - close waits for runs in flight, then refuses new ones", async () => {
    const pool = await createSessionPool({ modelPath: fixtureModel("task_classifier"), workers: 1, intraOpThreads: 1 });
    const pooled: HostTensor = { dtype: "float32", shape: [4, 32], data: new Float32Array(128).fill(0.5) };
    const inFlight = pool.run({ pooled_output: pooled });
    const closed = pool.close();
    assert.deepEqual((await inFlight)["logits"]?.shape, [4, 16]);
    await closed;
    await assert.rejects(pool.run({ pooled_output: pooled }), SessionClosedError);
  });

  test("session pool - a model that cannot load rejects with SessionLoadError", async () => {
    await assert.rejects(
      createSessionPool({ modelPath: "/nonexistent/unet/model.onnx", workers: 2, intraOpThreads: 1 }),
      (e: Error) => e instanceof SessionLoadError && /^unet: cannot load \/nonexistent\/unet\/model\.onnx/.test(e.message),
    );
  });

  // The CPU build ships (pnpm-workspace.yaml never runs onnxruntime-node's CUDA download), so
  // here the CUDA provider cannot load: the pool must refuse to start rather than run on the CPU.
  test("session pool - an execution provider onnxruntime cannot load rejects with ExecutionProviderError", async () => {
    const threadsBefore = liveSessionWorkers();
    await assert.rejects(
      createSessionPool({ modelPath: fixtureModel("text_encoder"), workers: 2, intraOpThreads: 1, sessionOptions: { executionProviders: ["cuda", "cpu"] } }),
      (e: Error) =>
        e instanceof ExecutionProviderError && e instanceof SessionLoadError && /^text_encoder: the cuda execution provider is not available/.test(e.message),
    );
    assert.equal(liveSessionWorkers(), threadsBefore);
  });
});

describe("session pool on the calling thread (workers: 0)", () => {
  test("session pool inline - outputs equal a worker pool's, with no worker thread", async () => {
    const path = fixtureModel("text_encoder");
    const threadsBefore = liveSessionWorkers();
    const inline = await createSessionPool({ modelPath: path, workers: 0, intraOpThreads: 1 });
    const threaded = await createSessionPool({ modelPath: path, workers: 1, intraOpThreads: 1 });
    try {
      assert.equal(liveSessionWorkers(), threadsBefore + 1, "only the threaded pool started a thread");
      assert.deepEqual(inline.inputMetadata, threaded.inputMetadata);
      const feeds = textFeeds(3);
      const [got, want] = await Promise.all([inline.run(feeds), threaded.run(feeds)]);
      for (const name of ["last_hidden_state", "pooler_output"]) assert.deepEqual(got[name], want[name], name);
    } finally {
      await Promise.all([inline.close(), threaded.close()]);
    }
    assert.equal(liveSessionWorkers(), threadsBefore);
  });

  test("session pool inline - runs queue one at a time; a bad run rejects and the session keeps serving; close refuses new runs", async () => {
    const ran: number[] = [];
    const unet = await createSessionPool({
      modelPath: fixtureModel("unet"),
      workers: 0,
      intraOpThreads: 1,
      maxQueue: 1,
      observer: { waited: () => undefined, ran: (ms) => ran.push(ms) },
    });
    const running = unet.run(unetFeeds(4));
    const queued = unet.run(unetFeeds(1));
    assert.equal(unet.activeRuns(), 1);
    assert.equal(unet.queueDepth(), 1);
    await assert.rejects(unet.run(unetFeeds(1)), SessionQueueFullError);
    assert.deepEqual((await running)["out_sample"]?.shape, [4, 4, 16, 16]);
    assert.deepEqual((await queued)["out_sample"]?.shape, [1, 4, 16, 16]);
    assert.equal(ran.length, 2);
    const mismatched = { ...unetFeeds(2), encoder_hidden_states: unetFeeds(3)["encoder_hidden_states"]! };
    await assert.rejects(unet.run(mismatched), (e: Error) => e instanceof SessionRunError && /^unet: onnxruntime rejected the run: .+/.test(e.message));
    assert.deepEqual((await unet.run(unetFeeds(2)))["out_sample"]?.shape, [2, 4, 16, 16]);
    await unet.close();
    await assert.rejects(unet.run(unetFeeds(1)), SessionClosedError);
  });

  test("session pool inline - a model that cannot load rejects with SessionLoadError", async () => {
    await assert.rejects(
      createSessionPool({ modelPath: "/nonexistent/vae_decoder/model.onnx", workers: 0, intraOpThreads: 1 }),
      (e: Error) => e instanceof SessionLoadError && /^vae_decoder: cannot load/.test(e.message),
    );
  });
});
