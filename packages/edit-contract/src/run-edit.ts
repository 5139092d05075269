// One edit, end to end, over any set of stage backends: local stages in the in-process
// pipeline, gRPC clients in the gateway. Both run this same story, which is why the
// distributed result equals the in-process one bit for bit.
import type { HostTensor } from "@emuedit/tensors";
import type { EditBackends } from "./backends.js";
import type { Sampling } from "./edit-spec.js";
import { InvalidEditError, ModelOutputError } from "./errors.js";
import { resolveTask, type ResolvedTask, type TaskSource } from "./task-resolution.js";
import type { UncondCache } from "./uncond-cache.js";

/** 8-bit RGB, row-major [H,W,3] (the layout of @emuedit/imaging's RgbImage). */
export interface EditImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface EditInput {
  readonly editId: string;
  /** RGB at the model's working size (multiples of the VAE factor). */
  readonly image: EditImage;
  readonly instruction: string;
  readonly task?: string | undefined;
  readonly sampling: Sampling;
  readonly previewEvery?: number;
  /** Told the task once it is resolved (before denoising), e.g. for a request's log line. */
  readonly onTask?: (task: ResolvedTask | null) => void;
}

export interface EditContext {
  readonly backends: EditBackends;
  readonly tasks: TaskSource;
  readonly uncond: UncondCache;
  /** Least softmax probability a predicted task needs (0: any); below it, task_unclear. */
  readonly minTaskConfidence?: number;
}

export interface StageTiming {
  readonly stage: string;
  readonly durationMs: number;
}

export interface EditOutput {
  readonly image: EditImage;
  readonly task: ResolvedTask | null;
  /** Wall time per stage, ms, in the order they ran. */
  readonly timings: readonly StageTiming[];
}

export async function runEdit(ctx: EditContext, input: EditInput, signal: AbortSignal): Promise<EditOutput> {
  const { backends } = ctx;
  const timings: StageTiming[] = [];
  const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      timings.push({ stage, durationMs: performance.now() - start });
    }
  };

  // 0. Check inputs.
  const { width, height, data } = input.image;
  if (data.length !== width * height * 3) throw new InvalidEditError("image", "RGB buffer does not match its size");
  const pixels: HostTensor = { dtype: "uint8", shape: [1, height, width, 3], data };

  // 1. Encode the instruction and the image concurrently; the empty prompt comes from the cache.
  const [text, uncond, imageLatent] = await Promise.all([
    timed("text_encode", () => backends.encodeText([input.instruction], signal)),
    ctx.uncond.get(signal),
    timed("vae_encode", () => backends.encodeImage(pixels, signal)),
  ]);

  // 2. Resolve the task: explicit, or predicted from the instruction when the classifier is sure.
  const task = resolveTask(ctx.tasks, input.task, text.taskLogits, ctx.minTaskConfidence ?? 0);
  input.onTask?.(task);

  // 3. Denoise (the whole loop runs in the denoiser).
  const latent = await timed("denoise", () =>
    backends.denoise(
      input.editId,
      {
        imageLatent,
        textEmbedding: text.lastHiddenState,
        uncondEmbedding: uncond,
        taskEmbedding: task ? task.task.embedding : null,
        sampling: input.sampling,
        ...(input.previewEvery !== undefined ? { previewEvery: input.previewEvery } : {}),
      },
      signal,
    ),
  );

  // 4. Decode to pixels.
  const pixelsOut = await timed("vae_decode", () => backends.decode(latent, pixels, signal));
  const [, oh, ow, oc] = pixelsOut.shape;
  if (pixelsOut.dtype !== "uint8" || oc !== 3 || oh === undefined || ow === undefined) {
    throw new ModelOutputError(`decoded image: expected uint8 [1,H,W,3], got ${pixelsOut.dtype} [${pixelsOut.shape.join(",")}]`);
  }
  return { image: { width: ow, height: oh, data: pixelsOut.data as Uint8Array }, task, timings };
}
