/**
 * EulerAncestralDiscreteScheduler (InstructPix2Pix's default): an Euler step down to sigma_down
 * followed by fresh noise of std sigma_up, so the marginal lands on sigma_{i+1}
 * (k-diffusion `sample_euler_ancestral`, Karras et al. 2022 / Song et al. 2021 ancestral sampling).
 *
 *   code name        paper symbol
 *   sample           x_i                 noisy latent at sigma_i                    [N] f32
 *   modelOutput      eps / v             network output                             [N] f32
 *   sigma, sigmaNext sigma_i, sigma_{i+1}
 *   sigmaUp          sigma_up   = sqrt(sigma_{i+1}^2 (sigma_i^2 - sigma_{i+1}^2) / sigma_i^2)
 *   sigmaDown        sigma_down = sqrt(sigma_{i+1}^2 - sigma_up^2)
 *   predX0           D(x_i; sigma_i)                                                 [N] f32
 *   noise            z ~ N(0, I) = gaussianNoise(seed, i, N)                         [N] f32
 *
 * `stepWithNoise` takes the noise as an argument (used by tests against diffusers with injected
 * noise); `step` draws it from the counter-based generator, so step i's noise depends only on
 * (seed, i).
 */
import { InvalidArgumentError } from "../errors.js";
import { gaussianNoise } from "../noise.js";
import { SchedulerBase } from "./base.js";
import { SigmaSchedulerBase } from "./sigma-scheduler.js";
import { readBoolean, readCommon, type CommonSettings } from "./config.js";
import { eulerTrainSigmas } from "./euler.js";
import { f32, sqrtF32 } from "./float32.js";
import { SchedulerClassName, type SchedulerConfig, type StepOptions } from "./scheduler.js";
import { addSigmaNoise, predictX0 } from "./sigma-space.js";

export class EulerAncestralDiscreteScheduler extends SigmaSchedulerBase {
  readonly name = SchedulerClassName.EulerAncestralDiscrete;
  protected readonly common: CommonSettings;
  protected readonly trainSigmas: Float32Array;

  constructor(config: SchedulerConfig) {
    super();
    // diffusers raises NotImplementedError for prediction_type "sample" here.
    this.common = readCommon(config, this.name, {
      timestepSpacing: "linspace",
      predictionTypes: ["epsilon", "v_prediction"],
    });
    this.trainSigmas = eulerTrainSigmas(this.common, readBoolean(config, "rescale_betas_zero_snr", false));
  }



  protected scheduleShape() {
    return { karras: null, finalSigma: 0 };
  }

  /** Draws z = gaussianNoise(opts.seed, stepIndex, N); `seed` is required. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, opts: StepOptions = {}): Float32Array {
    if (opts.seed === undefined) {
      throw new InvalidArgumentError(`${this.name}.step needs opts.seed: its noise is gaussianNoise(seed, stepIndex)`);
    }
    const i = this.resolveIndex(t, opts.stepIndex);
    return this.stepWithNoise(modelOutput, t, sample, gaussianNoise(opts.seed, i, sample.length), { stepIndex: i });
  }

  /** The ancestral step with caller-supplied noise z [N] f32. */
  stepWithNoise(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    noise: Float32Array,
    opts: { stepIndex?: number } = {},
  ): Float32Array {
    SchedulerBase.checkLengths(this.name, modelOutput, sample, "modelOutput and sample");
    SchedulerBase.checkLengths(this.name, noise, sample, "noise and sample");
    const i = this.resolveIndex(t, opts.stepIndex);
    const sigma = this.sigmaTable[i]!;
    const sigmaNext = this.sigmaTable[i + 1]!;
    // 1. Denoised estimate D(x_i; sigma_i).
    const predX0 = predictX0(this.common.predictionType, modelOutput, sample, sigma);
    // 2. Split sigma_{i+1} into a deterministic part sigma_down and a stochastic part sigma_up.
    const sigmaNextSq = f32(sigmaNext * sigmaNext);
    const sigmaSq = f32(sigma * sigma);
    const sigmaUp = sqrtF32(f32(f32(sigmaNextSq * f32(sigmaSq - sigmaNextSq)) / sigmaSq));
    const sigmaDown = sqrtF32(f32(sigmaNextSq - f32(sigmaUp * sigmaUp)));
    // 3. Euler step to sigma_down: x' = x_i + d_i (sigma_down - sigma_i), d_i = (x_i - D) / sigma_i.
    const dt = f32(sigmaDown - sigma);
    // 4. Add fresh noise: x_{i+1} = x' + z sigma_up.
    const prev = sample.map((x, k) => {
      const euler = f32(x + f32(f32(f32(x - predX0[k]!) / sigma) * dt));
      return f32(euler + f32(noise[k]! * sigmaUp));
    });
    this.counter = i + 1;
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    SchedulerBase.checkLengths(this.name, original, noise, "original and noise");
    return addSigmaNoise(original, noise, this.sigmaTable[this.checkIndex(stepIndex)]!);
  }
}
