/**
 * EulerDiscreteScheduler: Euler's method on the probability-flow ODE in sigma space,
 * Karras et al. 2022 ("Elucidating the Design Space...", Algorithm 2 with S_churn = 0).
 *
 *   code name        paper symbol
 *   sample           x_i            noisy latent at sigma_i            [N] f32
 *   modelOutput      eps / v / x0   network output                     [N] f32
 *   sigma, sigmaNext sigma_i, sigma_{i+1}
 *   predX0           D(x_i; sigma_i)   denoised estimate                [N] f32
 *   derivative       d_i = (x_i - D) / sigma_i                         [N] f32
 *
 * diffusers' S_churn/s_noise arguments are step-call options there, not config, and default to
 * no churn; we implement that default only.
 */
import { SchedulerBase } from "./base.js";
import { SigmaSchedulerBase } from "./sigma-scheduler.js";
import { readBoolean, readChoice, readCommon, readNumber, rejectUnless, type CommonSettings } from "./config.js";
import { f32 } from "./float32.js";
import { alphasCumprod, makeBetas, rescaleZeroTerminalSnr, sigmasFromAlphasCumprod } from "./schedules.js";
import { SchedulerClassName, type SchedulerConfig, type StepOptions } from "./scheduler.js";
import { addSigmaNoise, predictX0 } from "./sigma-space.js";

/** Smallest positive float16 subnormal: diffusers' stand-in for alphas_cumprod[-1] = 0 under zero SNR. */
export const ZERO_SNR_TERMINAL_ALPHA_CUMPROD = 2 ** -24;

/**
 * Training sigmas [T] f32 of the Euler family. With rescale_betas_zero_snr the last alphas_cumprod
 * is set to 2^-24 so the first sigma (~4096) stays finite.
 */
export function eulerTrainSigmas(common: CommonSettings, rescaleZeroSnr: boolean): Float32Array {
  let betas = makeBetas(common);
  if (rescaleZeroSnr) betas = rescaleZeroTerminalSnr(betas);
  const abar = alphasCumprod(betas);
  if (rescaleZeroSnr) abar[abar.length - 1] = ZERO_SNR_TERMINAL_ALPHA_CUMPROD;
  return sigmasFromAlphasCumprod(abar);
}

export class EulerDiscreteScheduler extends SigmaSchedulerBase {
  readonly name = SchedulerClassName.EulerDiscrete;
  protected readonly common: CommonSettings;
  protected readonly trainSigmas: Float32Array;
  private readonly useKarras: boolean;
  private readonly sigmaMin: number | null;
  private readonly sigmaMax: number | null;
  private readonly finalSigmasType: "zero" | "sigma_min";

  constructor(config: SchedulerConfig) {
    super();
    const name = this.name;
    this.common = readCommon(config, name, {
      timestepSpacing: "linspace",
      predictionTypes: ["epsilon", "v_prediction", "sample"],
    });
    readChoice(config, "interpolation_type", "linear", ["linear"], name);
    readChoice(config, "timestep_type", "discrete", ["discrete"], name);
    rejectUnless(config, "use_exponential_sigmas", false, name);
    rejectUnless(config, "use_beta_sigmas", false, name);
    this.useKarras = readBoolean(config, "use_karras_sigmas", false);
    this.sigmaMin = config.sigma_min == null ? null : readNumber(config, "sigma_min", 0);
    this.sigmaMax = config.sigma_max == null ? null : readNumber(config, "sigma_max", 0);
    this.finalSigmasType = readChoice(config, "final_sigmas_type", "zero", ["zero", "sigma_min"], name);
    this.trainSigmas = eulerTrainSigmas(this.common, readBoolean(config, "rescale_betas_zero_snr", false));
  }



  protected scheduleShape() {
    return { karras: this.useKarras ? { sigmaMin: this.sigmaMin, sigmaMax: this.sigmaMax } : null, finalSigma: this.finalSigmasType === "zero" ? 0 : this.trainSigmas[0]! };
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, opts: StepOptions = {}): Float32Array {
    SchedulerBase.checkLengths(this.name, modelOutput, sample, "modelOutput and sample");
    const i = this.resolveIndex(t, opts.stepIndex);
    const sigma = this.sigmaTable[i]!;
    const sigmaNext = this.sigmaTable[i + 1]!;
    // 1. Denoised estimate D(x_i; sigma_i) from the model output.
    const predX0 = predictX0(this.common.predictionType, modelOutput, sample, sigma);
    // 2. ODE derivative d_i = (x_i - D) / sigma_i and step size dt = sigma_{i+1} - sigma_i.
    const dt = f32(sigmaNext - sigma);
    // 3. Euler step x_{i+1} = x_i + d_i * dt.
    const prev = sample.map((x, k) => f32(x + f32(f32(f32(x - predX0[k]!) / sigma) * dt)));
    this.counter = i + 1;
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    SchedulerBase.checkLengths(this.name, original, noise, "original and noise");
    return addSigmaNoise(original, noise, this.sigmaTable[this.checkIndex(stepIndex)]!);
  }
}
