/**
 * DPMSolverMultistepScheduler, algorithm "dpmsolver++": Lu et al. 2022, "DPM-Solver++: Fast Solver
 * for Guided Sampling of Diffusion Probabilistic Models". solver_order 2 + midpoint is the popular
 * "DPM++ 2M" (Algorithm 2); orders 1 and 3 and the "heun" variant are included as in diffusers.
 *
 *   code name          paper symbol
 *   sample             x_{t_{i-1}}   current latent                                   [N] f32
 *   sigma (schedule)   sigma_t / alpha_t of the VP SDE, stored as sigma = sigma_t/alpha_t
 *   alphaT, sigmaT     alpha_{t_i}, sigma_{t_i}   (target of the step)
 *   lambda             lambda_t = log(alpha_t / sigma_t), the half log-SNR
 *   h                  h_i = lambda_{t_i} - lambda_{t_{i-1}}
 *   r0, r1             r_i = h_{i-1} / h_i
 *   m0, m1, m2         x0 predictions of this and the previous steps (the history)   [N] f32
 *   D0, D1, D2         finite-difference estimates of x0 and its derivatives in lambda [N] f32
 *
 * State between steps (snapshot().history) is the last `solver_order` x0 predictions; diffusers'
 * `lower_order_nums` always equals how many of them exist, so the history alone is complete.
 */
import { SchedulerConfigError } from "../errors.js";
import { SchedulerBase } from "./base.js";
import { readBoolean, readChoice, readCommon, readInteger, readNumber, rejectUnless, type CommonSettings } from "./config.js";
import { ZERO_SNR_TERMINAL_ALPHA_CUMPROD } from "./euler.js";
import { f32, sqrtF32 } from "./float32.js";
import {
  alphasCumprod, dpmTimesteps, interpAtIndex, karrasSigmas, logSigmasF32, makeBetas, npLinspace,
  rescaleZeroTerminalSnr, roundHalfEven, sigmasFromAlphasCumprod, sigmaToT,
} from "./schedules.js";
import { SchedulerClassName, type SchedulerConfig, type StepOptions } from "./scheduler.js";

/** (alpha_t, sigma_t) of the VP process from sigma = sigma_t / alpha_t, in float32. */
function alphaSigma(sigma: number): [number, number] {
  const alpha = f32(1 / sqrtF32(f32(f32(sigma * sigma) + 1)));
  return [alpha, f32(sigma * alpha)];
}

/** lambda_t = log(alpha_t) - log(sigma_t) in float32 (+Infinity at sigma = 0). */
function halfLogSnr(sigma: number): number {
  const [alpha, sig] = alphaSigma(sigma);
  return f32(f32(Math.log(alpha)) - f32(Math.log(sig)));
}

export class DPMSolverMultistepScheduler extends SchedulerBase {
  readonly name = SchedulerClassName.DPMSolverMultistep;
  private readonly common: CommonSettings;
  private readonly solverOrder: number;
  private readonly solverType: "midpoint" | "heun";
  private readonly lowerOrderFinal: boolean;
  private readonly eulerAtFinal: boolean;
  private readonly useKarras: boolean;
  private readonly useLuLambdas: boolean;
  private readonly finalSigmasType: "zero" | "sigma_min";
  private readonly lambdaMinClipped: number;
  /** training sigmas [T] f32 and their half log-SNRs [T] f32 */
  private readonly trainSigmas: Float32Array;
  private readonly trainLambdas: Float32Array;
  /** [n+1] f32: sigma of each step, then the final sigma */
  private sigmaTable: Float32Array = new Float32Array(0);

  constructor(config: SchedulerConfig) {
    super();
    const name = this.name;
    this.common = readCommon(config, name, {
      timestepSpacing: "linspace",
      predictionTypes: ["epsilon", "v_prediction", "sample"],
    });
    // diffusers maps the legacy "deis" to dpmsolver++ and the DEIS/UniPC solver types to midpoint.
    readChoice(config, "algorithm_type", "dpmsolver++", ["dpmsolver++", "deis"], name);
    const solverType = readChoice(config, "solver_type", "midpoint", ["midpoint", "heun", "logrho", "bh1", "bh2"], name);
    this.solverType = solverType === "heun" ? "heun" : "midpoint";
    this.solverOrder = readInteger(config, "solver_order", 2, 1);
    if (this.solverOrder > 3) throw new SchedulerConfigError(`${name}: solver_order must be 1, 2 or 3`);
    this.lowerOrderFinal = readBoolean(config, "lower_order_final", true);
    this.eulerAtFinal = readBoolean(config, "euler_at_final", false);
    this.useKarras = readBoolean(config, "use_karras_sigmas", false);
    this.useLuLambdas = readBoolean(config, "use_lu_lambdas", false);
    this.finalSigmasType = readChoice(config, "final_sigmas_type", "zero", ["zero", "sigma_min"], name);
    this.lambdaMinClipped = config.lambda_min_clipped == null ? -Infinity : readNumber(config, "lambda_min_clipped", 0);
    for (const key of ["thresholding", "use_exponential_sigmas", "use_beta_sigmas", "use_flow_sigmas", "use_dynamic_shifting"]) {
      rejectUnless(config, key, false, name);
    }
    rejectUnless(config, "variance_type", null, name);
    if (this.useKarras && this.useLuLambdas) {
      throw new SchedulerConfigError(`${name}: use_karras_sigmas and use_lu_lambdas are exclusive`);
    }
    const rescale = readBoolean(config, "rescale_betas_zero_snr", false);
    let betas = makeBetas(this.common);
    if (rescale) betas = rescaleZeroTerminalSnr(betas);
    const abar = alphasCumprod(betas);
    if (rescale) abar[abar.length - 1] = ZERO_SNR_TERMINAL_ALPHA_CUMPROD;
    this.trainSigmas = sigmasFromAlphasCumprod(abar);
    this.trainLambdas = abar.map((a) => f32(f32(Math.log(sqrtF32(a))) - f32(Math.log(sqrtF32(f32(1 - a))))));
  }

  get initNoiseSigma(): number {
    return 1;
  }

  override stateTensorCount(): number {
    return this.solverOrder;
  }

  /** Noise levels of the schedule [n+1] (last = final sigma); a copy, valid after setTimesteps. */
  get sigmas(): number[] {
    this.requireSchedule();
    return Array.from(this.sigmaTable);
  }

  setTimesteps(numSteps: number): void {
    const numTrain = this.common.numTrainTimesteps;
    SchedulerBase.checkNumSteps(this.name, numSteps, numTrain);
    // 1. Drop the high-noise end where lambda < lambda_min_clipped (searchsorted on ascending lambdas).
    const clipLimit = f32(this.lambdaMinClipped);
    let clipped = 0;
    for (let k = numTrain - 1; k >= 0 && this.trainLambdas[k]! < clipLimit; k--) clipped++;
    const lastTimestep = numTrain - clipped;
    // 2. Timesteps and sigmas.
    let timesteps: number[] = dpmTimesteps(this.common.timestepSpacing, numTrain, lastTimestep, numSteps, this.common.stepsOffset);
    let sigmas: number[];
    const logSigmas = logSigmasF32(this.trainSigmas);
    const roundT = (t: number): number => (this.common.betaSchedule === "squaredcos_cap_v2" ? Math.trunc(t) : roundHalfEven(t));
    if (this.useKarras) {
      sigmas = karrasSigmas(this.trainSigmas[0]!, this.trainSigmas[numTrain - 1]!, numSteps);
      timesteps = sigmas.map((s) => roundT(sigmaToT(s, logSigmas)));
    } else if (this.useLuLambdas) {
      // Lu et al.: uniform in log-sigma between the training extremes.
      const hi = logSigmas[numTrain - 1]!;
      const lo = logSigmas[0]!;
      sigmas = npLinspace(0, 1, numSteps).map((ramp) => Math.exp(hi + ramp * (lo - hi)));
      timesteps = sigmas.map((s) => roundT(sigmaToT(s, logSigmas)));
    } else {
      sigmas = timesteps.map((t) => interpAtIndex(t, this.trainSigmas));
    }
    const finalSigma = this.finalSigmasType === "zero" ? 0 : this.trainSigmas[0]!;
    this.sigmaTable = Float32Array.from([...sigmas, finalSigma]);
    this.resetState(timesteps);
  }

  scaleModelInput(sample: Float32Array, t: number, stepIndex?: number): Float32Array {
    this.resolveIndex(t, stepIndex);
    return new Float32Array(sample);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, opts: StepOptions = {}): Float32Array {
    SchedulerBase.checkLengths(this.name, modelOutput, sample, "modelOutput and sample");
    const i = this.resolveIndex(t, opts.stepIndex);
    this.requireCounterForHistory(i);
    const n = this.requireSchedule().length;
    // 1. Which order this step may use: lower at the very end for few-step schedules / zero final sigma.
    const lowerOrderFinal =
      i === n - 1 && (this.eulerAtFinal || (this.lowerOrderFinal && n < 15) || this.finalSigmasType === "zero");
    const lowerOrderSecond = i === n - 2 && this.lowerOrderFinal && n < 15;
    const lowerOrderNums = this.history.length;
    // 2. Convert the model output to the data prediction x0 (DPM-Solver++ works in x0 space).
    const m0 = this.predictX0(modelOutput, sample, this.sigmaTable[i]!);
    this.history.push(m0);
    if (this.history.length > this.solverOrder) this.history.shift();
    // 3. Multistep update.
    let prev: Float32Array;
    if (this.solverOrder === 1 || lowerOrderNums < 1 || lowerOrderFinal) prev = this.firstOrder(i, sample);
    else if (this.solverOrder === 2 || lowerOrderNums < 2 || lowerOrderSecond) prev = this.secondOrder(i, sample);
    else prev = this.thirdOrder(i, sample);
    this.counter = i + 1;
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    SchedulerBase.checkLengths(this.name, original, noise, "original and noise");
    const [alpha, sigma] = alphaSigma(this.sigmaTable[this.checkIndex(stepIndex)]!);
    return original.map((x, k) => f32(f32(alpha * x) + f32(sigma * noise[k]!)));
  }

  /** x0 = (x - sigma_t eps) / alpha_t, or alpha_t x - sigma_t v, or the output itself. */
  private predictX0(m: Float32Array, x: Float32Array, sigma: number): Float32Array {
    const [alpha, sig] = alphaSigma(sigma);
    switch (this.common.predictionType) {
      case "epsilon":
        return x.map((xk, k) => f32(f32(xk - f32(sig * m[k]!)) / alpha));
      case "v_prediction":
        return x.map((xk, k) => f32(f32(alpha * xk) - f32(sig * m[k]!)));
      case "sample":
        return new Float32Array(m);
    }
  }

  /** Scalars shared by every order for the step i -> i+1 (float32). */
  private coefficients(i: number): { ratio: number; phi: number; h: number; alphaT: number } {
    const [alphaT, sigmaT] = alphaSigma(this.sigmaTable[i + 1]!);
    const [, sigmaS0] = alphaSigma(this.sigmaTable[i]!);
    const h = f32(halfLogSnr(this.sigmaTable[i + 1]!) - halfLogSnr(this.sigmaTable[i]!));
    // ratio = sigma_t / sigma_s0; phi = alpha_t (e^{-h} - 1)
    return { ratio: f32(sigmaT / sigmaS0), phi: f32(alphaT * f32(f32(Math.exp(-h)) - 1)), h, alphaT };
  }

  /** DPM-Solver++(1), eq. (9): x_t = (sigma_t/sigma_s) x - alpha_t (e^{-h} - 1) m0. */
  private firstOrder(i: number, x: Float32Array): Float32Array {
    const { ratio, phi } = this.coefficients(i);
    const m0 = this.history[this.history.length - 1]!;
    return x.map((xk, k) => f32(f32(ratio * xk) - f32(phi * m0[k]!)));
  }

  /** DPM-Solver++(2M), Algorithm 2: D0 = m0, D1 = (m0 - m1) / r0. */
  private secondOrder(i: number, x: Float32Array): Float32Array {
    const { ratio, phi, h, alphaT } = this.coefficients(i);
    const h0 = f32(halfLogSnr(this.sigmaTable[i]!) - halfLogSnr(this.sigmaTable[i - 1]!));
    const invR0 = f32(1 / f32(h0 / h));
    const m0 = this.history[this.history.length - 1]!;
    const m1 = this.history[this.history.length - 2]!;
    const halfPhi = f32(0.5 * phi);
    const heun = f32(alphaT * f32(f32(f32(f32(Math.exp(-h)) - 1) / h) + 1));
    return x.map((xk, k) => {
      const d1 = f32(invR0 * f32(m0[k]! - m1[k]!));
      const base = f32(f32(ratio * xk) - f32(phi * m0[k]!));
      return this.solverType === "midpoint" ? f32(base - f32(halfPhi * d1)) : f32(base + f32(heun * d1));
    });
  }

  /** DPM-Solver++(3M): second differences D1, D2 from three x0 predictions. */
  private thirdOrder(i: number, x: Float32Array): Float32Array {
    const { ratio, phi, h, alphaT } = this.coefficients(i);
    const lambdaS0 = halfLogSnr(this.sigmaTable[i]!);
    const lambdaS1 = halfLogSnr(this.sigmaTable[i - 1]!);
    const h0 = f32(lambdaS0 - lambdaS1);
    const h1 = f32(lambdaS1 - halfLogSnr(this.sigmaTable[i - 2]!));
    const r0 = f32(h0 / h);
    const r1 = f32(h1 / h);
    const invR0 = f32(1 / r0);
    const invR1 = f32(1 / r1);
    const rSum = f32(r0 + r1);
    const mix = f32(r0 / rSum);
    const invRSum = f32(1 / rSum);
    const expm1 = f32(f32(Math.exp(-h)) - 1);
    const c1 = f32(alphaT * f32(f32(expm1 / h) + 1));
    const c2 = f32(alphaT * f32(f32(f32(expm1 + h) / f32(h * h)) - 0.5));
    const [m2, m1, m0] = this.history.slice(-3) as [Float32Array, Float32Array, Float32Array];
    return x.map((xk, k) => {
      const d10 = f32(invR0 * f32(m0[k]! - m1[k]!));
      const d11 = f32(invR1 * f32(m1[k]! - m2[k]!));
      const diff = f32(d10 - d11);
      const d1 = f32(d10 + f32(mix * diff));
      const d2 = f32(invRSum * diff);
      return f32(f32(f32(f32(ratio * xk) - f32(phi * m0[k]!)) + f32(c1 * d1)) - f32(c2 * d2));
    });
  }
}
