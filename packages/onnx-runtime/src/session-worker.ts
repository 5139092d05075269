// One onnxruntime session in a worker thread. onnxruntime-node's session.run does the whole
// inference synchronously on the calling thread (its promise only defers the start), so running
// it here keeps the main thread's event loop free. Loaded through worker-bootstrap.mjs.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { InferenceSession, type Tensor as OrtTensor } from "onnxruntime-node";
import type { HostTensor } from "@emuedit/tensors";
import { fromOrtTensor, toOrtTensor } from "./ort-tensor.js";
import { transferList, warmupFeeds } from "./feeds.js";
import type { FromWorker, IoMetadata, ToWorker, WorkerInit } from "./protocol.js";

const port = parentPort;
if (port === null) throw new Error("session-worker.ts must run in a worker thread");
const init = workerData as WorkerInit;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function metadata(list: readonly InferenceSession.ValueMetadata[]): IoMetadata[] {
  return list.map((m) => (m.isTensor ? { name: m.name, dtype: m.type, dims: [...m.shape] } : { name: m.name, dtype: "non-tensor", dims: [] }));
}

async function runOnce(session: InferenceSession, feeds: Record<string, HostTensor>, outputNames: string[] | null) {
  const ortFeeds: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
  const results = outputNames === null ? await session.run(ortFeeds) : await session.run(ortFeeds, outputNames);
  const outputs: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(results)) {
    const h = fromOrtTensor(t, name);
    // Give each output a buffer of its own so transferring it moves exactly its bytes.
    const own = h.data.byteOffset === 0 && h.data.byteLength === h.data.buffer.byteLength;
    outputs[name] = own ? h : { ...h, data: h.data.slice() };
  }
  return outputs;
}

async function main(): Promise<void> {
  let session: InferenceSession;
  let loadMs = 0;
  let warmupMs = 0;
  try {
    const t0 = performance.now();
    const { executionProviders, ...rest } = init.sessionOptions;
    session = await InferenceSession.create(init.modelPath, {
      ...rest,
      ...(executionProviders ? { executionProviders: [...executionProviders] } : {}),
      intraOpNumThreads: init.intraOpThreads,
    });
    const t1 = performance.now();
    await runOnce(session, warmupFeeds(metadata(session.inputMetadata), init.warmupDims), null);
    loadMs = t1 - t0;
    warmupMs = performance.now() - t1;
  } catch (err) {
    post({ type: "load-error", message: (err as Error).message ?? String(err) });
    return;
  }
  let crashOnNextRun = false;
  port!.on("message", async (msg: ToWorker) => {
    if (msg.type === "close") {
      await session.release();
      post({ type: "closed" });
      port!.close();
      return;
    }
    if (msg.type === "crash-on-next-run") {
      crashOnNextRun = true;
      return;
    }
    if (crashOnNextRun) {
      // An uncaught exception ends this thread (exit code 1) with the run in flight.
      process.nextTick(() => {
        throw new Error("forced worker crash (test hook)");
      });
      return;
    }
    const t0 = performance.now();
    try {
      const outputs = await runOnce(session, msg.feeds, msg.outputNames);
      const reply: FromWorker = { type: "result", id: msg.id, outputs, runMs: performance.now() - t0 };
      post(reply, transferList(outputs));
    } catch (err) {
      post({ type: "run-error", id: msg.id, message: (err as Error).message ?? String(err) });
    }
  });
  post({
    type: "ready",
    inputMetadata: metadata(session.inputMetadata),
    outputMetadata: metadata(session.outputMetadata),
    loadMs,
    warmupMs,
  });
}

await main();
