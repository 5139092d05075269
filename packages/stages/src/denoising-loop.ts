// The denoising loop of one edit: InstructPix2Pix's sampling loop with Emu Edit's task
// embedding, run identically by the unet service and the in-process pipeline.
//
//   code name         paper / diffusers
//   latent            z_t, `latents` [C,h,w] f32 (scaled space)
//   imageLatent       E(c_I), `image_latents` [C,h,w] f32 (posterior mode, unscaled)
//   text / uncond     c_T / empty-prompt embedding [L,D] f32
//   taskEmbedding     v_i, Emu Edit's learned task vector [E] f32
import {
  buildGuidanceBatch,
  combineGuidance,
  initialLatents,
  type Scheduler,
  type SchedulerState,
} from "@emuedit/diffusion";
import { EditAbortedError, InvalidEditError, type Sampling } from "@emuedit/edit-contract";
import type { UnetComponent } from "@emuedit/model-package";
import { runUnet, type OnnxRunner } from "./unet-runner.js";

export interface LatentDims {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export interface ResumeFrom {
  /** Steps already taken; the loop continues with timesteps[stepIndex]. */
  readonly stepIndex: number;
  /** Latent after `stepIndex` steps, [C,h,w] f32 scaled space. */
  readonly latent: Float32Array;
  /** Multistep solver history at that point (SchedulerState.history). */
  readonly history: readonly Float32Array[];
}

export interface StepReport {
  /** Steps done so far (1-based: 1 after the first step). */
  readonly step: number;
  readonly totalSteps: number;
  /** The timestep this step evaluated the UNet at. */
  readonly timestep: number;
  /** Latent after this step, [C,h,w] f32 scaled space. Do not mutate. */
  readonly latent: Float32Array;
  /** Complete scheduler state after this step, enough to resume bit-identically. */
  readonly schedulerState: SchedulerState;
  /** Edits that shared the UNet call of this step (the step batcher; 1 when alone or unbatched). */
  readonly batchEdits: number;
}

export interface DenoiseLoopInput {
  readonly scheduler: Scheduler;
  readonly unet: UnetComponent;
  readonly runner: OnnxRunner;
  readonly dims: LatentDims;
  readonly imageLatent: Float32Array;
  /** [L,D] f32 each. */
  readonly textEmbedding: Float32Array;
  readonly uncondEmbedding: Float32Array;
  readonly seqLen: number;
  readonly hiddenDim: number;
  readonly taskEmbedding: Float32Array | null;
  readonly sampling: Sampling;
  readonly resume?: ResumeFrom;
  /** Called after every `previewEvery`-th step and always after the last (0 or 1: every step). */
  readonly previewEvery?: number;
  readonly onStep?: (report: StepReport) => Promise<void> | void;
  /** Checked before every step: an aborted signal stops the loop at the next step boundary. */
  readonly signal?: AbortSignal;
}

/** Runs the loop and returns the final latent [C,h,w] f32 in the scaled space. */
export async function runDenoisingLoop(input: DenoiseLoopInput): Promise<Float32Array> {
  const { scheduler, dims, signal } = input;
  const { steps, seed, guidanceScale, imageGuidanceScale } = input.sampling;
  const size = dims.channels * dims.height * dims.width;

  // 0. Check inputs: the contract says the image latent has the UNet's latent shape.
  if (input.imageLatent.length !== size) {
    throw new InvalidEditError("image_latent", `expected ${size} values ([${dims.channels},${dims.height},${dims.width}]), got ${input.imageLatent.length}`);
  }
  const textSize = input.seqLen * input.hiddenDim;
  if (input.textEmbedding.length !== textSize || input.uncondEmbedding.length !== textSize) {
    throw new InvalidEditError("text_embeddings", `expected ${textSize} values ([${input.seqLen},${input.hiddenDim}])`);
  }

  // 1. Timesteps from the scheduler configured by the model package.
  scheduler.setTimesteps(steps);
  const timesteps = scheduler.timesteps;

  // 2. Starting point: pure noise from the seed, or a checkpoint of an interrupted edit.
  let latent: Float32Array;
  let first = 0;
  if (input.resume) {
    const { stepIndex, latent: saved, history } = input.resume;
    if (stepIndex < 0 || stepIndex > timesteps.length) {
      throw new InvalidEditError("resume.step_index", `must be within 0..${timesteps.length}, got ${stepIndex}`);
    }
    if (saved.length !== size) throw new InvalidEditError("resume.latent", `expected ${size} values, got ${saved.length}`);
    scheduler.restore({ stepIndex, history: history.map((h) => h.slice()) });
    latent = saved.slice();
    first = stepIndex;
  } else {
    latent = initialLatents(seed, size, scheduler.initNoiseSigma);
  }

  // 3. Denoising loop: one UNet call per step evaluates the three guidance rows together.
  const every = Math.max(1, input.previewEvery ?? 1);
  for (let i = first; i < timesteps.length; i++) {
    if (signal?.aborted) throw new EditAbortedError(i, { cause: signal.reason });
    const t = timesteps[i]!;

    // 3a. Scale the noisy latent (Euler-family: x / sqrt(sigma^2 + 1)) before concatenating
    //     the unscaled image latent on the channel axis.
    const scaled = scheduler.scaleModelInput(latent, t, i);
    const batch = buildGuidanceBatch({
      scaledLatent: scaled,
      imageLatent: input.imageLatent,
      textEmbedding: input.textEmbedding,
      uncondEmbedding: input.uncondEmbedding,
      ...(input.taskEmbedding ? { taskEmbedding: input.taskEmbedding } : {}),
    });

    // 3b. eps for rows (text+image, image only, neither): [3,C,h,w].
    let batchEdits = 1;
    const eps = await runUnet(input.runner, input.unet, batch, t, {
      rows: 3,
      latentChannels: dims.channels,
      height: dims.height,
      width: dims.width,
      seqLen: input.seqLen,
      hiddenDim: input.hiddenDim,
    }, signal, (edits) => (batchEdits = edits));

    // 3c. 3-way classifier-free guidance, then z_{t-1} = step(eps, t, z_t).
    const guided = combineGuidance(eps, guidanceScale, imageGuidanceScale);
    latent = scheduler.step(guided, t, latent, { seed, stepIndex: i });

    // 3d. Publish previews / checkpoints.
    const done = i + 1;
    if (input.onStep && (done % every === 0 || done === timesteps.length)) {
      await input.onStep({ step: done, totalSteps: timesteps.length, timestep: t, latent, schedulerState: scheduler.snapshot(), batchEdits });
    }
  }
  return latent;
}
