/**
 * Noise-schedule math shared by every scheduler: betas, alphas_cumprod, sigmas, timestep spacing,
 * Karras sigmas and zero-terminal-SNR rescaling. Each function reproduces one diffusers/torch/numpy
 * expression and says which; where diffusers computes in torch float32 we round every operation to
 * float32 (see float32.ts), where it computes in numpy float64 we use plain JS numbers.
 */
import { SchedulerConfigError } from "../errors.js";
import { f32, sqrtF32 } from "./float32.js";

/**
 * torch.linspace(start, end, steps, dtype=float32) as in current torch (scalar CPU kernel): the
 * first half counts up from `start`, the second half down from `end`, step = (end - start)/(steps-1)
 * in float32. torch <= 1.13 used a vectorized kernel that differs from this by <= 1 ulp on some
 * elements; diffusers' test tolerances are far above that.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const s = f32(start);
  const e = f32(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

/**
 * diffusers `betas_for_alpha_bar(T)` with the cosine alpha-bar of Nichol & Dhariwal (2021),
 * "squaredcos_cap_v2": beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999), float64 then float32.
 */
export function cosineBetas(numTrainTimesteps: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const out = new Float32Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    const t1 = i / numTrainTimesteps;
    const t2 = (i + 1) / numTrainTimesteps;
    out[i] = f32(Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta));
  }
  return out;
}

export interface BetaScheduleSettings {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: string;
  trainedBetas: number[] | null;
}

/** betas [T] f32, exactly as the diffusers constructors build them. */
export function makeBetas(s: BetaScheduleSettings): Float32Array {
  if (s.trainedBetas != null) return Float32Array.from(s.trainedBetas);
  switch (s.betaSchedule) {
    case "linear":
      return torchLinspaceF32(s.betaStart, s.betaEnd, s.numTrainTimesteps);
    case "scaled_linear": {
      // torch.linspace(beta_start**0.5, beta_end**0.5, T) ** 2 (sqrt in float64, square in float32)
      const roots = torchLinspaceF32(Math.sqrt(s.betaStart), Math.sqrt(s.betaEnd), s.numTrainTimesteps);
      return roots.map((r) => f32(r * r));
    }
    case "squaredcos_cap_v2":
      return cosineBetas(s.numTrainTimesteps);
    default:
      throw new SchedulerConfigError(
        `beta_schedule "${s.betaSchedule}" is not supported; use linear, scaled_linear or squaredcos_cap_v2`,
      );
  }
}

/**
 * torch.cumprod(1 - betas) on CPU: alphas in float32, the running product accumulated in float64
 * (torch's CPU accumulate type for float) and each output rounded to float32.
 */
export function alphasCumprod(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f32(1 - betas[i]!);
    out[i] = acc;
  }
  return out;
}

/**
 * Zero terminal SNR (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are
 * Flawed", Algorithm 1): shift sqrt(alphas_cumprod) so the last is 0, rescale so the first is
 * unchanged, convert back to betas. float32 throughout, as diffusers' torch code.
 */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const abarSqrt = alphasCumprod(betas).map((a) => sqrtF32(a));
  const first = abarSqrt[0]!;
  const last = abarSqrt[abarSqrt.length - 1]!;
  const scale = f32(first / f32(first - last));
  const abar = abarSqrt.map((x) => {
    const shifted = f32(f32(x - last) * scale);
    return f32(shifted * shifted);
  });
  const out = new Float32Array(betas.length);
  out[0] = f32(1 - abar[0]!);
  for (let i = 1; i < abar.length; i++) out[i] = f32(1 - f32(abar[i]! / abar[i - 1]!));
  return out;
}

/** ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5, float32: the training sigmas [T], ascending in t. */
export function sigmasFromAlphasCumprod(alphasCumprodF32: Float32Array): Float32Array {
  return alphasCumprodF32.map((a) => sqrtF32(f32(f32(1 - a) / a)));
}

/** numpy's round (half to even), used by `.round()` on timestep arrays. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** np.linspace(start, stop, num) in float64: start + i*step, last element exactly `stop`. */
export function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}

/**
 * np.arange(start, stop, step) for float64: length ceil((stop-start)/step); numpy fills element i
 * as start + i*delta with delta = (start + step) - start, which we reproduce bit for bit.
 */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out: number[] = [];
  if (length > 0) out.push(start);
  if (length > 1) out.push(start + step);
  const delta = start + step - start;
  for (let i = 2; i < length; i++) out.push(start + i * delta);
  return out;
}

/** np.interp(x, arange(len(fp)), fp) in float64 (numpy's formula, including the exact-hit case). */
export function interpAtIndex(x: number, fp: ArrayLike<number>): number {
  const n = fp.length;
  if (x <= 0) return fp[0]!;
  if (x >= n - 1) return fp[n - 1]!;
  const j = Math.floor(x);
  if (j === x) return fp[j]!;
  const slope = (fp[j + 1]! - fp[j]!) / 1;
  return slope * (x - j) + fp[j]!;
}

/**
 * Timesteps of the sigma-based discrete schedulers (Euler, Euler ancestral, LMS), float32 values,
 * following Lin et al. 2023, Table 2 ("linspace", "leading", "trailing").
 */
export function eulerTimesteps(spacing: string, numTrain: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, numTrain - 1, n).map((v) => f32(v)).reverse();
    case "leading": {
      const ratio = Math.floor(numTrain / n);
      return Array.from({ length: n }, (_, i) => f32((n - 1 - i) * ratio + stepsOffset));
    }
    case "trailing":
      return npArange(numTrain, 0, -numTrain / n).map((v) => f32(roundHalfEven(v) - 1));
    default:
      throw spacingError(spacing);
  }
}

/** DDIM's integer timesteps; its "linspace" rounds, unlike the Euler family. */
export function ddimTimesteps(spacing: string, numTrain: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, numTrain - 1, n).map(roundHalfEven).reverse();
    case "leading": {
      const ratio = Math.floor(numTrain / n);
      return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + stepsOffset);
    }
    case "trailing":
      return npArange(numTrain, 0, -numTrain / n).map((v) => roundHalfEven(v) - 1);
    default:
      throw spacingError(spacing);
  }
}

/**
 * DPM-Solver's integer timesteps: it spaces n+1 points and drops the last (so it never evaluates
 * t=0), and counts from `lastTimestep` (T minus the steps clipped by lambda_min_clipped).
 */
export function dpmTimesteps(
  spacing: string,
  numTrain: number,
  lastTimestep: number,
  n: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case "linspace":
      return npLinspace(0, lastTimestep - 1, n + 1).map(roundHalfEven).reverse().slice(0, n);
    case "leading": {
      const ratio = Math.floor(lastTimestep / (n + 1));
      return Array.from({ length: n }, (_, i) => (n - i) * ratio + stepsOffset);
    }
    case "trailing":
      return npArange(lastTimestep, 0, -numTrain / n).map((v) => roundHalfEven(v) - 1);
    default:
      throw spacingError(spacing);
  }
}

function spacingError(spacing: string): SchedulerConfigError {
  return new SchedulerConfigError(
    `timestep_spacing "${spacing}" is not supported; use linspace, leading or trailing`,
  );
}

/**
 * Karras et al. 2022 (EDM) eq. 5: sigma_i = (max^(1/rho) + i/(n-1) (min^(1/rho) - max^(1/rho)))^rho,
 * rho = 7, in float64 (diffusers `_convert_to_karras`).
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/** np.log of the float32 training sigmas: a float32 array, as numpy keeps the dtype. */
export function logSigmasF32(trainSigmas: Float32Array): Float32Array {
  return trainSigmas.map((s) => f32(Math.log(s)));
}

/**
 * diffusers `_sigma_to_t`: the fractional training timestep whose log-sigma matches, by linear
 * interpolation between neighbouring entries of `logSigmas` (ascending, float32). numpy 1.x's
 * value-based casting turns the float64 log(sigma) into float32 against the float32 table, so the
 * distances and the weight w are float32; only the final (1-w)*low + w*high is float64.
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = f32(Math.log(Math.max(sigma, 1e-10)));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (f32(logSigma - logSigmas[i]!) >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low]!;
  const hi = logSigmas[low + 1]!;
  const w = Math.min(1, Math.max(0, f32(f32(lo - logSigma) / f32(lo - hi))));
  return f32(1 - w) * low + w * (low + 1);
}
