/**
 * DDIMScheduler, deterministic (eta = 0): Song et al. 2021, "Denoising Diffusion Implicit Models",
 * eq. (12) with sigma_t = 0.
 *
 *   code name        paper symbol
 *   sample           x_t                      noisy latent                         [N] f32
 *   modelOutput      eps_theta / v / x0       network output                       [N] f32
 *   alphaProdT       alpha_t (DDIM's notation; = alphas_cumprod[t], "alpha bar" in DDPM)
 *   alphaProdPrev    alpha_{t-1} = alphas_cumprod[t - T/n], or final_alpha_cumprod past 0
 *   predX0           "predicted x_0" = (x_t - sqrt(1-alpha_t) eps) / sqrt(alpha_t)  [N] f32
 *   predEps          eps_theta                                                    [N] f32
 *
 * eta > 0 (stochastic DDIM) is a step-call option in diffusers, not config; this implements the
 * pipelines' default eta = 0. `thresholding` (dynamic thresholding, pixel-space models) is rejected.
 */
import { SchedulerConfigError } from "../errors.js";
import { SchedulerBase } from "./base.js";
import { readBoolean, readCommon, readNumber, rejectUnless, type CommonSettings } from "./config.js";
import { f32, sqrtF32 } from "./float32.js";
import { alphasCumprod, ddimTimesteps, makeBetas, rescaleZeroTerminalSnr } from "./schedules.js";
import { SchedulerClassName, type SchedulerConfig, type StepOptions } from "./scheduler.js";

export class DDIMScheduler extends SchedulerBase {
  readonly name = SchedulerClassName.DDIM;
  private readonly common: CommonSettings;
  /** alphas_cumprod [T] f32 */
  private readonly alphasCumprod: Float32Array;
  private readonly finalAlphaCumprod: number;
  private readonly clipSample: boolean;
  private readonly clipSampleRange: number;
  private numSteps = 0;

  constructor(config: SchedulerConfig) {
    super();
    this.common = readCommon(config, this.name, {
      timestepSpacing: "leading",
      predictionTypes: ["epsilon", "v_prediction", "sample"],
    });
    rejectUnless(config, "thresholding", false, this.name);
    let betas = makeBetas(this.common);
    // Zero terminal SNR: DDIM keeps alphas_cumprod[-1] = 0 exactly (no 2^-24 stand-in).
    if (readBoolean(config, "rescale_betas_zero_snr", false)) betas = rescaleZeroTerminalSnr(betas);
    this.alphasCumprod = alphasCumprod(betas);
    this.finalAlphaCumprod = readBoolean(config, "set_alpha_to_one", true) ? 1 : this.alphasCumprod[0]!;
    this.clipSample = readBoolean(config, "clip_sample", true);
    this.clipSampleRange = f32(readNumber(config, "clip_sample_range", 1));
  }

  get initNoiseSigma(): number {
    return 1;
  }

  setTimesteps(numSteps: number): void {
    SchedulerBase.checkNumSteps(this.name, numSteps, this.common.numTrainTimesteps);
    const timesteps = ddimTimesteps(this.common.timestepSpacing, this.common.numTrainTimesteps, numSteps, this.common.stepsOffset);
    const last = this.common.numTrainTimesteps - 1;
    if (timesteps.some((t) => t < 0 || t > last)) {
      throw new SchedulerConfigError(
        `${this.name}: ${numSteps} steps with steps_offset ${this.common.stepsOffset} reach a timestep outside 0..${last}`,
      );
    }
    this.numSteps = numSteps;
    this.resetState(timesteps);
  }

  scaleModelInput(sample: Float32Array, t: number, stepIndex?: number): Float32Array {
    this.resolveIndex(t, stepIndex);
    return new Float32Array(sample);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, opts: StepOptions = {}): Float32Array {
    SchedulerBase.checkLengths(this.name, modelOutput, sample, "modelOutput and sample");
    const i = this.resolveIndex(t, opts.stepIndex);
    // 1. Previous timestep: t - T/n, whatever the spacing (as diffusers).
    const prevT = t - Math.floor(this.common.numTrainTimesteps / this.numSteps);
    // 2. alpha_t, alpha_{t-1}, beta_t = 1 - alpha_t.
    const alphaProdT = this.alphasCumprod[t]!;
    const alphaProdPrev = prevT >= 0 ? this.alphasCumprod[prevT]! : this.finalAlphaCumprod;
    const sqrtAlpha = sqrtF32(alphaProdT);
    const sqrtBeta = sqrtF32(f32(1 - alphaProdT));
    // 3. predicted x_0 and eps from the model output (eq. 12, "predicted x_0").
    const n = sample.length;
    const predX0 = new Float32Array(n);
    const predEps = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const x = sample[k]!;
      const m = modelOutput[k]!;
      switch (this.common.predictionType) {
        case "epsilon":
          predX0[k] = f32(f32(x - f32(sqrtBeta * m)) / sqrtAlpha);
          predEps[k] = m;
          break;
        case "sample":
          predX0[k] = m;
          predEps[k] = f32(f32(x - f32(sqrtAlpha * m)) / sqrtBeta);
          break;
        case "v_prediction":
          predX0[k] = f32(f32(sqrtAlpha * x) - f32(sqrtBeta * m));
          predEps[k] = f32(f32(sqrtAlpha * m) + f32(sqrtBeta * x));
          break;
      }
    }
    // 4. Optionally clip predicted x_0 to [-clip_sample_range, clip_sample_range].
    if (this.clipSample) {
      const r = this.clipSampleRange;
      for (let k = 0; k < n; k++) predX0[k] = Math.min(r, Math.max(-r, predX0[k]!));
    }
    // 5. "direction pointing to x_t": sqrt(1 - alpha_{t-1} - sigma_t^2) eps, sigma_t = 0 (eta = 0).
    const dirCoef = sqrtF32(f32(1 - alphaProdPrev));
    // 6. x_{t-1} = sqrt(alpha_{t-1}) predicted x_0 + direction   (eq. 12 without the noise term).
    const sqrtAlphaPrev = sqrtF32(alphaProdPrev);
    const prev = new Float32Array(n);
    for (let k = 0; k < n; k++) prev[k] = f32(f32(sqrtAlphaPrev * predX0[k]!) + f32(dirCoef * predEps[k]!));
    this.counter = i + 1;
    return prev;
  }

  /** sqrt(alpha_t) x_0 + sqrt(1 - alpha_t) noise at t = timesteps[stepIndex] (DDPM eq. 4). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    SchedulerBase.checkLengths(this.name, original, noise, "original and noise");
    const t = this.requireSchedule()[this.checkIndex(stepIndex)]!;
    const a = sqrtF32(this.alphasCumprod[t]!);
    const b = sqrtF32(f32(1 - this.alphasCumprod[t]!));
    return original.map((x, k) => f32(f32(a * x) + f32(b * noise[k]!)));
  }
}
