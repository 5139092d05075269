/**
 * The scheduler contract shared by every algorithm in this folder, and the typed view of a
 * diffusers `scheduler_config.json`.
 *
 * Tensors are flat Float32Array in row-major order; a scheduler never needs the shape, so one
 * scheduler serves any latent shape ([C,h,w] for one edit, [B,C,h,w] for a batch that shares a
 * schedule). Arithmetic on tensors rounds to float32 after every operation, in the same order as
 * diffusers' torch code, so results track diffusers' float32 numerics.
 */

/** Class names accepted in `_class_name`, spelled as diffusers spells them. */
export const SchedulerClassName = {
  EulerAncestralDiscrete: "EulerAncestralDiscreteScheduler",
  EulerDiscrete: "EulerDiscreteScheduler",
  DDIM: "DDIMScheduler",
  DPMSolverMultistep: "DPMSolverMultistepScheduler",
  LMSDiscrete: "LMSDiscreteScheduler",
} as const;
export type SchedulerClassName = (typeof SchedulerClassName)[keyof typeof SchedulerClassName];

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";
export type TimestepSpacing = "linspace" | "leading" | "trailing";
export type PredictionType = "epsilon" | "v_prediction" | "sample";

/**
 * A parsed diffusers `scheduler_config.json`. Keys use diffusers' snake_case names. Missing keys
 * take the chosen class's diffusers default; keys a class does not know are ignored (as diffusers'
 * `from_config` does), so an InstructPix2Pix config with `skip_prk_steps` loads unchanged.
 */
export interface SchedulerConfig {
  _class_name?: string;
  _diffusers_version?: string;
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: string;
  trained_betas?: number[] | null;
  steps_offset?: number;
  timestep_spacing?: string;
  prediction_type?: string;
  rescale_betas_zero_snr?: boolean;
  /** DDIM */
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  clip_sample_range?: number;
  thresholding?: boolean;
  /** Euler, LMS, DPM-Solver */
  use_karras_sigmas?: boolean;
  use_exponential_sigmas?: boolean;
  use_beta_sigmas?: boolean;
  /** Euler: explicit Karras range */
  sigma_min?: number | null;
  sigma_max?: number | null;
  interpolation_type?: string;
  timestep_type?: string;
  /** Euler, DPM-Solver: "zero" | "sigma_min" */
  final_sigmas_type?: string;
  /** DPM-Solver */
  solver_order?: number;
  algorithm_type?: string;
  solver_type?: string;
  lower_order_final?: boolean;
  euler_at_final?: boolean;
  use_lu_lambdas?: boolean;
  use_flow_sigmas?: boolean;
  lambda_min_clipped?: number | null;
  variance_type?: string | null;
  [key: string]: unknown;
}

/** Options of one `step()` call. */
export interface StepOptions {
  /**
   * Seed (uint32) of the edit. Ancestral schedulers draw their step noise as
   * `gaussianNoise(seed, stepIndex, length)`; deterministic schedulers ignore it.
   */
  seed?: number;
  /**
   * Index of `t` in `timesteps`. Defaults to the scheduler's own counter (diffusers' `_step_index`),
   * which starts at 0 after `setTimesteps` and advances by one per `step`.
   */
  stepIndex?: number;
}

/**
 * Everything a scheduler carries from one step to the next, apart from its configuration and
 * `setTimesteps(n)`. It is complete: a fresh scheduler built from the same config, given the same
 * `setTimesteps(n)` and `restore(state)`, continues bit-identically to the one that took the
 * snapshot.
 *  - `stepIndex`: the index in `timesteps` of the next step (diffusers' `_step_index`).
 *  - `history`: tensors a multistep solver keeps from earlier steps, oldest first
 *    (DPM-Solver: converted model outputs x0_pred, at most `solver_order`; LMS: derivatives,
 *    at most 4). Empty for single-step schedulers. `history.length` also encodes DPM-Solver's
 *    `lower_order_nums`, which always equals the number of kept outputs.
 */
export interface SchedulerState {
  stepIndex: number;
  history: Float32Array[];
}

export interface Scheduler {
  /** diffusers class name of the algorithm. */
  readonly name: SchedulerClassName;
  /** Model evaluations per step (diffusers' `Scheduler.order`); 1 for every scheduler here. */
  readonly order: number;
  /** Standard deviation of the initial latent noise; valid after `setTimesteps`. */
  readonly initNoiseSigma: number;
  /** Timesteps the model is evaluated at, in order; a copy, valid after `setTimesteps`. */
  readonly timesteps: number[];
  /** Builds the inference schedule and resets the state (stepIndex 0, empty history). */
  setTimesteps(numSteps: number): void;
  /**
   * Scales the noisy latent before it goes into the model (Euler-family: x / sqrt(sigma^2 + 1)).
   * `stepIndex` defaults to the internal counter. Returns a new array.
   */
  scaleModelInput(sample: Float32Array, t: number, stepIndex?: number): Float32Array;
  /** One denoising step: returns prev_sample (x_{t-1}), same length as `sample`. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, opts?: StepOptions): Float32Array;
  /**
   * Forward-noises a clean sample to the noise level of `timesteps[stepIndex]` (diffusers'
   * `add_noise`), for img2img-style starts in the middle of the schedule.
   */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;
  /** Copies the state (tensors are copied, not shared). */
  snapshot(): SchedulerState;
  /** Replaces the state with a copy of `state`; `setTimesteps` must have been called. */
  restore(state: SchedulerState): void;
  /** Most tensors `snapshot().history` can hold (0 for single-step schedulers). */
  stateTensorCount(): number;
}
