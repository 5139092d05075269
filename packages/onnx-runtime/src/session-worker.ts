// One onnxruntime session in a worker thread. onnxruntime-node's session.run does the whole
// inference synchronously on the calling thread (its promise only defers the start), so running
// it here keeps the main thread's event loop free. Loaded through worker-bootstrap.mjs.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import type { InferenceSession } from "onnxruntime-node";
import { transferList } from "./feeds.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { openSession, runSession } from "./session-run.js";

const port = parentPort;
if (port === null) throw new Error("session-worker.ts must run in a worker thread");
const init = workerData as WorkerInit;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

async function main(): Promise<void> {
  let opened;
  try {
    opened = await openSession(init);
  } catch (err) {
    post({ type: "load-error", message: (err as Error).message ?? String(err) });
    return;
  }
  const session: InferenceSession = opened.session;
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
      const outputs = await runSession(session, msg.feeds, msg.outputNames);
      const reply: FromWorker = { type: "result", id: msg.id, outputs, runMs: performance.now() - t0 };
      post(reply, transferList(outputs));
    } catch (err) {
      post({ type: "run-error", id: msg.id, message: (err as Error).message ?? String(err) });
    }
  });
  post({
    type: "ready",
    inputMetadata: opened.inputMetadata,
    outputMetadata: opened.outputMetadata,
    loadMs: opened.loadMs,
    warmupMs: opened.warmupMs,
  });
}

await main();
