import type { SchedulerConfig } from "../../src/index.js";

/** timbrooks/instruct-pix2pix scheduler/scheduler_config.json, verbatim. */
export const IP2P_CONFIG: SchedulerConfig = {
  _class_name: "EulerAncestralDiscreteScheduler", _diffusers_version: "0.15.0.dev0", beta_end: 0.012,
  beta_schedule: "scaled_linear", beta_start: 0.00085, clip_sample: false, num_train_timesteps: 1000,
  prediction_type: "epsilon", set_alpha_to_one: false, skip_prk_steps: true, steps_offset: 1, trained_betas: null,
};

/** The family of our trained model: v-prediction, zero terminal SNR, trailing spacing. */
export const ZERO_SNR_CONFIG: SchedulerConfig = {
  beta_end: 0.012, beta_schedule: "scaled_linear", beta_start: 0.00085, num_train_timesteps: 1000,
  prediction_type: "v_prediction", rescale_betas_zero_snr: true, timestep_spacing: "trailing", steps_offset: 1,
};
