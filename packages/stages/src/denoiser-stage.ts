// The denoiser of one model package: builds the scheduler (the package's, or a requested
// diffusers class) and runs the loop. The unet service wraps exactly this. Sampling values
// arrive validated (parseSampling at the unet's wire edge); this checks the tensors against the
// model, which only the model's owner can.
import { createScheduler, type SchedulerConfig } from "@emuedit/diffusion";
import { InvalidEditError, type DenoiseParams } from "@emuedit/edit-contract";
import type { ModelPackage } from "@emuedit/model-package";
import type { HostTensor } from "@emuedit/tensors";
import { runDenoisingLoop, type ResumeFrom, type StepReport } from "./denoising-loop.js";
import type { OnnxRunner } from "./unet-runner.js";

export interface DenoiseHooks {
  readonly onStep?: (r: StepReport) => Promise<void> | void;
  readonly signal?: AbortSignal;
  /** Continue an interrupted edit instead of starting from noise. */
  readonly resume?: ResumeFrom;
}

export interface DenoiserStage {
  /** Returns the final latent [1,C,h,w] f32 in the scaled space. */
  denoise(params: DenoiseParams, hooks?: DenoiseHooks): Promise<HostTensor>;
}

export function createDenoiserStage(pkg: ModelPackage, runner: OnnxRunner): DenoiserStage {
  const c = pkg.unet.latentChannels;
  return {
    async denoise(params, hooks = {}) {
      checkDenoiseTensors(pkg, params);
      const [, , h, w] = params.imageLatent.shape as [number, number, number, number];
      const [, seqLen, hiddenDim] = params.textEmbedding.shape as [number, number, number];
      const { sampling } = params;
      const scheduler = createScheduler(
        pkg.schedulerConfig as SchedulerConfig,
        sampling.scheduler ? { className: sampling.scheduler } : undefined,
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
        sampling,
        ...(hooks.resume ? { resume: hooks.resume } : {}),
        ...(params.previewEvery !== undefined ? { previewEvery: params.previewEvery } : {}),
        ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
      });
      return { dtype: "float32", shape: [1, c, h, w], data: latent };
    },
  };
}

/** The conditioning tensors against the model, with messages a client can act on (400 / INVALID_ARGUMENT). */
function checkDenoiseTensors(pkg: ModelPackage, p: DenoiseParams): void {
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
}
