/**
 * What the sigma-parameterised discrete schedulers (Euler, Euler ancestral, LMS) share: their
 * inference schedule and the k-diffusion conventions of Karras et al. 2022 (EDM), where the latent
 * is x = x0 + sigma * eps and the model sees x / sqrt(sigma^2 + 1).
 *
 * Tensors: flat [N] f32 (any shape). Scalars: float32 values held in JS numbers.
 */
import { SchedulerConfigError } from "../errors.js";
import { f32, sqrtF32 } from "./float32.js";
import { eulerTimesteps, interpAtIndex, karrasSigmas, logSigmasF32, sigmaToT } from "./schedules.js";
import type { PredictionType } from "./scheduler.js";

export interface SigmaScheduleInput {
  spacing: string;
  numTrainTimesteps: number;
  numSteps: number;
  stepsOffset: number;
  /** Training sigmas [T] f32, ascending in t. */
  trainSigmas: Float32Array;
  /** Karras sigmas instead of interpolated ones; min/max default to the interpolated ends. */
  karras: { sigmaMin: number | null; sigmaMax: number | null } | null;
  /** Appended after the last step: 0, or the smallest training sigma. */
  finalSigma: number;
}

export interface SigmaSchedule {
  /** [n] float32 values (fractional for linspace spacing or Karras). */
  timesteps: number[];
  /** [n+1] f32: sigma at each timestep, then `finalSigma`. */
  sigmas: Float32Array;
}

/** diffusers `set_timesteps` of EulerDiscrete / EulerAncestralDiscrete / LMSDiscrete. */
export function sigmaSchedule(p: SigmaScheduleInput): SigmaSchedule {
  let timesteps = eulerTimesteps(p.spacing, p.numTrainTimesteps, p.numSteps, p.stepsOffset);
  let sigmas = timesteps.map((t) => interpAtIndex(t, p.trainSigmas));
  if (p.karras) {
    const logSigmas = logSigmasF32(p.trainSigmas);
    sigmas = karrasSigmas(
      p.karras.sigmaMin ?? sigmas[sigmas.length - 1]!,
      p.karras.sigmaMax ?? sigmas[0]!,
      p.numSteps,
    );
    timesteps = sigmas.map((s) => f32(sigmaToT(s, logSigmas)));
  }
  return { timesteps, sigmas: Float32Array.from([...sigmas, p.finalSigma]) };
}

/** max(sigmas), or sqrt(max^2 + 1) for "leading" spacing (diffusers `init_noise_sigma`). */
export function initNoiseSigmaFor(sigmas: Float32Array, spacing: string): number {
  let max = -Infinity;
  for (const s of sigmas) max = Math.max(max, s);
  return spacing === "linspace" || spacing === "trailing" ? max : sqrtF32(f32(f32(max * max) + 1));
}

/** x / sqrt(sigma^2 + 1): [N] f32 -> new [N] f32. */
export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const denom = sqrtF32(f32(f32(sigma * sigma) + 1));
  return sample.map((x) => f32(x / denom));
}

/** x0 + sigma * noise (diffusers `add_noise` of the sigma schedulers). */
export function addSigmaNoise(original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  return original.map((x, i) => f32(x + f32(noise[i]! * sigma)));
}

/**
 * Predicted clean sample x0 from the model output at noise level sigma:
 *   epsilon:      x0 = x - sigma * eps
 *   v_prediction: x0 = v * (-sigma / sqrt(sigma^2+1)) + x / (sigma^2+1)   (Salimans & Ho 2022, in sigma form)
 *   sample:       x0 = model output
 */
export function predictX0(
  type: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
): Float32Array {
  switch (type) {
    case "epsilon":
      return sample.map((x, i) => f32(x - f32(sigma * modelOutput[i]!)));
    case "v_prediction": {
      const sigmaSqPlusOne = f32(f32(sigma * sigma) + 1);
      const cOut = f32(-sigma / sqrtF32(sigmaSqPlusOne));
      return sample.map((x, i) => f32(f32(modelOutput[i]! * cOut) + f32(x / sigmaSqPlusOne)));
    }
    case "sample":
      return new Float32Array(modelOutput);
    default:
      throw new SchedulerConfigError(`prediction_type "${String(type)}" is not supported`);
  }
}
