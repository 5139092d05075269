// Builds the UNet's feeds the way the model's graph wants them (timestep dtype and shape vary
// between exports; docs/model-package.md) and returns out_sample.
import type { HostTensor } from "@emuedit/tensors";
import type { UnetComponent } from "@emuedit/model-package";
import type { GuidanceBatch } from "@emuedit/diffusion";
import { ModelOutputError } from "@emuedit/edit-contract";

export interface OnnxRunOptions {
  readonly signal?: AbortSignal;
  /** How long each request the call carries waited before it (a batcher's wait), ms; the pool's queue-wait metric adds its own. */
  readonly waitedBeforeMs?: readonly number[];
  /** A batcher says how many edits share the call that computes this request (unbatched: never called, 1). */
  readonly onBatch?: (edits: number) => void;
}

/** Anything that runs an ONNX graph: a worker-thread session pool in every real use. */
export interface OnnxRunner {
  run(feeds: Record<string, HostTensor>, opts?: OnnxRunOptions): Promise<Record<string, HostTensor>>;
}

/**
 * Timestep feed. diffusers' ONNX pipeline casts with numpy (`np.array([t], dtype)`), which
 * truncates toward zero for integer exports; we do the same so fractional Euler timesteps reach
 * an int64 UNet exactly as they would in Python.
 */
export function timestepTensor(unet: UnetComponent, t: number, batch: number): HostTensor {
  const shape = unet.timestepShape === "batch" ? [batch] : unet.timestepShape === "one" ? [1] : [];
  const n = unet.timestepShape === "batch" ? batch : 1;
  if (unet.timestepDtype === "int64") {
    return { dtype: "int64", shape, data: new BigInt64Array(n).fill(BigInt(Math.trunc(t))) };
  }
  return { dtype: "float32", shape, data: new Float32Array(n).fill(t) };
}

/** One UNet evaluation of a guidance batch of `rows` rows: returns out_sample [rows,C,h,w]; `onBatch` as in OnnxRunOptions. */
export async function runUnet(
  runner: OnnxRunner,
  unet: UnetComponent,
  batch: GuidanceBatch,
  t: number,
  dims: { rows: number; latentChannels: number; height: number; width: number; seqLen: number; hiddenDim: number },
  signal?: AbortSignal,
  onBatch?: (edits: number) => void,
): Promise<Float32Array> {
  const { rows, latentChannels: c, height: h, width: w, seqLen, hiddenDim } = dims;
  const feeds: Record<string, HostTensor> = {
    sample: { dtype: "float32", shape: [rows, 2 * c, h, w], data: batch.sample },
    timestep: timestepTensor(unet, t, rows),
    encoder_hidden_states: { dtype: "float32", shape: [rows, seqLen, hiddenDim], data: batch.encoderHiddenStates },
  };
  if (unet.taskEmbeddingDim !== null) {
    if (!batch.taskEmbedding) throw new ModelOutputError("the UNet takes a task embedding but none was given");
    feeds.task_embedding = { dtype: "float32", shape: [rows, unet.taskEmbeddingDim], data: batch.taskEmbedding };
  }
  const out = await runner.run(feeds, { ...(signal ? { signal } : {}), ...(onBatch ? { onBatch } : {}) });
  const sample = out.out_sample ?? Object.values(out)[0];
  if (!sample || sample.dtype !== "float32" || sample.data.length !== rows * c * h * w) {
    throw new ModelOutputError(
      `unet out_sample: expected float32 [${rows},${c},${h},${w}], got ${sample ? `${sample.dtype} [${sample.shape.join(",")}]` : "nothing"}`,
    );
  }
  return sample.data as Float32Array;
}
