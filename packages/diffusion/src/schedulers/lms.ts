/**
 * LMSDiscreteScheduler: linear multistep (Adams-Bashforth) on the probability-flow ODE in sigma
 * space, as in k-diffusion's `sample_lms`, with up to 4 previous derivatives.
 *
 *   code name        paper symbol
 *   sample           x_i                   noisy latent at sigma_i                      [N] f32
 *   derivative       d_i = (x_i - D(x_i; sigma_i)) / sigma_i                            [N] f32
 *   coeffs[j]        integral over [sigma_i, sigma_{i+1}] of the Lagrange basis
 *                    polynomial of node sigma_{i-j} through sigma_i..sigma_{i-order+1}
 *   history          d_{i-order+1} .. d_i, oldest first (snapshot().history)
 *
 * diffusers integrates the basis with scipy's adaptive quadrature (epsrel 1e-4); the integrand is
 * a polynomial of degree <= 3, which 3-point Gauss-Legendre integrates exactly, so we do that.
 */
import { SchedulerBase } from "./base.js";
import { SigmaSchedulerBase } from "./sigma-scheduler.js";
import { readBoolean, readCommon, rejectUnless, type CommonSettings } from "./config.js";
import { f32 } from "./float32.js";
import { alphasCumprod, makeBetas, sigmasFromAlphasCumprod } from "./schedules.js";
import { SchedulerClassName, type SchedulerConfig, type StepOptions } from "./scheduler.js";
import { addSigmaNoise, predictX0 } from "./sigma-space.js";

/** diffusers' default `order` argument of LMSDiscreteScheduler.step. */
const LMS_ORDER = 4;

const GAUSS_LEGENDRE_3 = [
  { x: -Math.sqrt(3 / 5), w: 5 / 9 },
  { x: 0, w: 8 / 9 },
  { x: Math.sqrt(3 / 5), w: 5 / 9 },
] as const;

export class LMSDiscreteScheduler extends SigmaSchedulerBase {
  readonly name = SchedulerClassName.LMSDiscrete;
  protected readonly common: CommonSettings;
  protected readonly trainSigmas: Float32Array;
  private readonly useKarras: boolean;

  constructor(config: SchedulerConfig) {
    super();
    this.common = readCommon(config, this.name, {
      timestepSpacing: "linspace",
      predictionTypes: ["epsilon", "v_prediction", "sample"],
    });
    rejectUnless(config, "use_exponential_sigmas", false, this.name);
    rejectUnless(config, "use_beta_sigmas", false, this.name);
    this.useKarras = readBoolean(config, "use_karras_sigmas", false);
    // diffusers' LMS has no rescale_betas_zero_snr; a config that sets it is ignored there too.
    this.trainSigmas = sigmasFromAlphasCumprod(alphasCumprod(makeBetas(this.common)));
  }


  override stateTensorCount(): number {
    return LMS_ORDER;
  }


  protected scheduleShape() {
    return { karras: this.useKarras ? { sigmaMin: null, sigmaMax: null } : null, finalSigma: 0 };
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, opts: StepOptions = {}): Float32Array {
    SchedulerBase.checkLengths(this.name, modelOutput, sample, "modelOutput and sample");
    const i = this.resolveIndex(t, opts.stepIndex);
    this.requireCounterForHistory(i);
    const sigma = this.sigmaTable[i]!;
    // 1. Derivative d_i = (x_i - D) / sigma_i; keep the last LMS_ORDER of them.
    const predX0 = predictX0(this.common.predictionType, modelOutput, sample, sigma);
    this.history.push(sample.map((x, k) => f32(f32(x - predX0[k]!) / sigma)));
    if (this.history.length > LMS_ORDER) this.history.shift();
    // 2. Adams-Bashforth coefficients for the current order (lower at the start).
    const order = Math.min(i + 1, LMS_ORDER);
    const coeffs = Array.from({ length: order }, (_, j) => f32(this.lmsCoefficient(order, i, j)));
    // 3. x_{i+1} = x_i + sum_j coeffs[j] d_{i-j}; pairs stop at the shorter list, as diffusers' zip.
    const newestFirst = [...this.history].reverse();
    const pairs = Math.min(order, newestFirst.length);
    const prev = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      let acc = f32(coeffs[0]! * newestFirst[0]![k]!);
      for (let j = 1; j < pairs; j++) acc = f32(acc + f32(coeffs[j]! * newestFirst[j]![k]!));
      prev[k] = f32(sample[k]! + acc);
    }
    this.counter = i + 1;
    return prev;
  }

  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    SchedulerBase.checkLengths(this.name, original, noise, "original and noise");
    return addSigmaNoise(original, noise, this.sigmaTable[this.checkIndex(stepIndex)]!);
  }

  /** Integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial of node sigma_{i-current}. */
  private lmsCoefficient(order: number, i: number, current: number): number {
    const s = this.sigmaTable;
    const basis = (tau: number): number => {
      let prod = 1;
      for (let k = 0; k < order; k++) {
        if (k === current) continue;
        prod *= (tau - s[i - k]!) / (s[i - current]! - s[i - k]!);
      }
      return prod;
    };
    const a = s[i]!;
    const b = s[i + 1]!;
    const half = (b - a) / 2;
    const mid = (a + b) / 2;
    return half * GAUSS_LEGENDRE_3.reduce((sum, node) => sum + node.w * basis(mid + half * node.x), 0);
  }
}
