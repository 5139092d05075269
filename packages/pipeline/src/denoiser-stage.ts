// The denoiser of one model package: builds the scheduler (the package's, or a requested
// diffusers class) and runs the loop. The unet service wraps exactly this.
import { createScheduler, type SchedulerConfig } from "@emuedit/diffusion";
import type { ModelPackage } from "@emuedit/model-package";
import type { HostTensor } from "@emuedit/tensors";
import { runDenoisingLoop, type ResumeFrom, type StepReport } from "./denoising-loop.js";
import { InvalidEditError } from "./errors.js";
import type { OnnxRunner } from "./unet-runner.js";

/** Limits of one denoise call; every one is a documented setting of the unet service. */
export interface DenoiseLimits {
  readonly maxSteps: number;
  readonly maxGuidanceScale: number;
}

export const DEFAULT_DENOISE_LIMITS: DenoiseLimits = { maxSteps: 150, maxGuidanceScale: 30 };

export interface DenoiseParams {
  /** [1,C,h,w] f32 posterior mode, unscaled. */
  readonly imageLatent: HostTensor;
  /** [1,L,D] f32 each. */
  readonly textEmbedding: HostTensor;
  readonly uncondEmbedding: HostTensor;
  /** [E] f32, required by Emu-style UNets. */
  readonly taskEmbedding: Float32Array | null;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly imageGuidanceScale: number;
  readonly seed: number;
  /** diffusers class name overriding the package's scheduler; "" or undefined keeps it. */
  readonly scheduler?: string;
  readonly resume?: ResumeFrom;
  readonly previewEvery?: number;
}

export interface DenoiserStage {
  denoise(
    params: DenoiseParams,
    hooks?: { onStep?: (r: StepReport) => Promise<void> | void; signal?: AbortSignal },
  ): Promise<HostTensor>;
}

export function createDenoiserStage(
  pkg: ModelPackage,
  runner: OnnxRunner,
  limits: DenoiseLimits = DEFAULT_DENOISE_LIMITS,
): DenoiserStage {
  const c = pkg.unet.latentChannels;
  return {
    async denoise(params, hooks = {}) {
      checkDenoiseParams(pkg, params, limits);
      const [, , h, w] = params.imageLatent.shape as [number, number, number, number];
      const [, seqLen, hiddenDim] = params.textEmbedding.shape as [number, number, number];
      const scheduler = createScheduler(
        pkg.schedulerConfig as SchedulerConfig,
        params.scheduler ? { className: params.scheduler } : undefined,
      );
      const latent = await runDenoisingLoop({
        scheduler,
        unet: pkg.unet,
        runner,
        dims: { channels: c, height: h, width: w },
        imageLatent: params.imageLatent.data as Float32Array,
        textEmbedding: params.textEmbedding.data as Float32Array,
        uncondEmbedding: params.uncondEmbedding.data as Float32Array,
        seqLen,
        hiddenDim,
        taskEmbedding: pkg.unet.taskEmbeddingDim === null ? null : params.taskEmbedding,
        steps: params.steps,
        guidanceScale: params.guidanceScale,
        imageGuidanceScale: params.imageGuidanceScale,
        seed: params.seed,
        ...(params.resume ? { resume: params.resume } : {}),
        ...(params.previewEvery !== undefined ? { previewEvery: params.previewEvery } : {}),
        ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
      });
      return { dtype: "float32", shape: [1, c, h, w], data: latent };
    },
  };
}

/** Contract checks with messages a client can act on (InvalidEditError -> 400 / INVALID_ARGUMENT). */
export function checkDenoiseParams(pkg: ModelPackage, p: DenoiseParams, limits: DenoiseLimits): void {
  const c = pkg.unet.latentChannels;
  const il = p.imageLatent;
  if (il.dtype !== "float32" || il.shape.length !== 4 || il.shape[0] !== 1 || il.shape[1] !== c) {
    throw new InvalidEditError("image_latent", `expected float32 [1,${c},h,w], got ${il.dtype} [${il.shape.join(",")}]`);
  }
  const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;
  for (const [name, t] of [["text_embeddings", p.textEmbedding], ["uncond_embeddings", p.uncondEmbedding]] as const) {
    if (t.dtype !== "float32" || t.shape.length !== 3 || t.shape[0] !== 1 || t.shape[1] !== l || t.shape[2] !== d) {
      throw new InvalidEditError(name, `expected float32 [1,${l},${d}], got ${t.dtype} [${t.shape.join(",")}]`);
    }
  }
  const e = pkg.unet.taskEmbeddingDim;
  if (e !== null && (!p.taskEmbedding || p.taskEmbedding.length !== e)) {
    throw new InvalidEditError("task_embedding", `this model needs a task embedding of ${e} values, got ${p.taskEmbedding?.length ?? 0}`);
  }
  if (!Number.isInteger(p.steps) || p.steps < 1 || p.steps > limits.maxSteps) {
    throw new InvalidEditError("steps", `must be an integer in 1..${limits.maxSteps}, got ${p.steps}`);
  }
  for (const [name, g] of [["guidance_scale", p.guidanceScale], ["image_guidance_scale", p.imageGuidanceScale]] as const) {
    if (!Number.isFinite(g) || g < 0 || g > limits.maxGuidanceScale) {
      throw new InvalidEditError(name, `must be a number in 0..${limits.maxGuidanceScale}, got ${g}`);
    }
  }
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff) {
    throw new InvalidEditError("seed", `must be an integer in 0..4294967295, got ${p.seed}`);
  }
}
