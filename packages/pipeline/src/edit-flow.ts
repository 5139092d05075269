// One edit, end to end, over any set of stage backends: local stages in the in-process
// pipeline, gRPC clients in the gateway. Both run this same story, which is why the
// distributed result equals the in-process one bit for bit.
import type { RgbImage } from "@emuedit/imaging";
import type { HostTensor } from "@emuedit/tensors";
import type { DenoiseParams } from "./denoiser-stage.js";
import { InvalidEditError, ModelOutputError } from "./errors.js";
import { resolveTask, type ResolvedTask, type TaskSource } from "./task-resolution.js";
import type { TextEncoding } from "./text-stage.js";

export interface EditBackends {
  encodeText(texts: readonly string[], signal: AbortSignal): Promise<TextEncoding>;
  /** uint8 [1,H,W,3] -> f32 [1,C,h,w] unscaled. */
  encodeImage(images: HostTensor, signal: AbortSignal): Promise<HostTensor>;
  denoise(editId: string, params: DenoiseParams, signal: AbortSignal): Promise<HostTensor>;
  /**
   * f32 [1,C,h,w] scaled -> uint8 [1,H,W,3]. `source` is the edit's input image (uint8
   * [1,H,W,3]), for a decoder conditioned on it; backends of other decoders need not send it.
   */
  decode(latents: HostTensor, source: HostTensor, signal: AbortSignal): Promise<HostTensor>;
}

export interface EditInput {
  readonly editId: string;
  /** RGB at the model's working size (multiples of the VAE factor). */
  readonly image: RgbImage;
  readonly instruction: string;
  readonly task?: string;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly imageGuidanceScale: number;
  readonly seed: number;
  readonly scheduler?: string;
  readonly previewEvery?: number;
}

export interface EditOutput {
  readonly image: RgbImage;
  readonly task: ResolvedTask | null;
  /** Wall time per stage, ms, in the order they ran. */
  readonly timings: ReadonlyArray<{ stage: string; durationMs: number }>;
}

/** The empty-prompt embedding, computed once per model and shared by every edit. */
export function createUncondCache(encode: (texts: readonly string[], signal: AbortSignal) => Promise<TextEncoding>) {
  let pending: Promise<HostTensor> | null = null;
  return {
    get(signal: AbortSignal): Promise<HostTensor> {
      pending ??= encode([""], signal).then(
        (r) => r.lastHiddenState,
        (err: unknown) => {
          pending = null; // a failed attempt must not poison every later edit
          throw err;
        },
      );
      return pending;
    },
  };
}
export type UncondCache = ReturnType<typeof createUncondCache>;

export async function runEdit(
  ctx: { backends: EditBackends; tasks: TaskSource; uncond: UncondCache },
  input: EditInput,
  signal: AbortSignal,
): Promise<EditOutput> {
  const { backends } = ctx;
  const timings: { stage: string; durationMs: number }[] = [];
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

  // 2. Resolve the task: explicit, or predicted from the instruction.
  const task = resolveTask(ctx.tasks, input.task, text.taskLogits);

  // 3. Denoise (the whole loop runs in the denoiser).
  const latent = await timed("denoise", () =>
    backends.denoise(
      input.editId,
      {
        imageLatent,
        textEmbedding: text.lastHiddenState,
        uncondEmbedding: uncond,
        taskEmbedding: task ? task.task.embedding : null,
        steps: input.steps,
        guidanceScale: input.guidanceScale,
        imageGuidanceScale: input.imageGuidanceScale,
        seed: input.seed,
        ...(input.scheduler ? { scheduler: input.scheduler } : {}),
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
