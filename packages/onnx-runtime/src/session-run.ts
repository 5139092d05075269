// One onnxruntime session: open it (load + warm-up) and run it. Used by a session worker thread
// and by the inline runner (workers: 0), which runs it on the pool's own thread.
import { performance } from "node:perf_hooks";
import { InferenceSession, type Tensor as OrtTensor } from "onnxruntime-node";
import type { HostTensor } from "@emuedit/tensors";
import { fromOrtTensor, toOrtTensor } from "./ort-tensor.js";
import { warmupFeeds } from "./feeds.js";
import type { IoMetadata, WorkerInit } from "./protocol.js";

export function ioMetadata(list: readonly InferenceSession.ValueMetadata[]): IoMetadata[] {
  return list.map((m) => (m.isTensor ? { name: m.name, dtype: m.type, dims: [...m.shape] } : { name: m.name, dtype: "non-tensor", dims: [] }));
}

export async function runSession(session: InferenceSession, feeds: Record<string, HostTensor>, outputNames: string[] | null): Promise<Record<string, HostTensor>> {
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

export interface OpenedSession {
  readonly session: InferenceSession;
  readonly inputMetadata: IoMetadata[];
  readonly outputMetadata: IoMetadata[];
  readonly loadMs: number;
  readonly warmupMs: number;
}

/** Loads the model and runs one warm-up call (first runs allocate). */
export async function openSession(init: WorkerInit): Promise<OpenedSession> {
  const t0 = performance.now();
  const { executionProviders, ...rest } = init.sessionOptions;
  const session = await InferenceSession.create(init.modelPath, {
    ...rest,
    ...(executionProviders ? { executionProviders: [...executionProviders] } : {}),
    intraOpNumThreads: init.intraOpThreads,
  });
  const t1 = performance.now();
  try {
    await runSession(session, warmupFeeds(ioMetadata(session.inputMetadata), init.warmupDims), null);
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    session,
    inputMetadata: ioMetadata(session.inputMetadata),
    outputMetadata: ioMetadata(session.outputMetadata),
    loadMs: t1 - t0,
    warmupMs: performance.now() - t1,
  };
}
