/**
 * diffusers' own full-loop scheduler tests (tests/schedulers/test_scheduler_*.py), reproduced:
 * same dummy model, same deterministic sample, same configs. Each case is checked twice:
 *  1. against the result_sum / result_mean diffusers' test asserts, with diffusers' tolerances;
 *  2. against diffusers' final sample itself (fixture), to ~1e-6 relative.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createScheduler, type SchedulerConfig } from "../src/index.js";
import { absSum, kLoop, plainLoop } from "./support/dummy-model.js";
import { absMean, assertMatchesReference, lookup, reference } from "./support/reference.js";

const DDIM: SchedulerConfig = {
  _class_name: "DDIMScheduler", num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02,
  beta_schedule: "linear", clip_sample: true,
};
const K_TEST: SchedulerConfig = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: "linear" };
const EULER: SchedulerConfig = { ...K_TEST, _class_name: "EulerDiscreteScheduler" };
const LMS: SchedulerConfig = { ...K_TEST, _class_name: "LMSDiscreteScheduler" };
const DPM: SchedulerConfig = {
  _class_name: "DPMSolverMultistepScheduler", num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02,
  beta_schedule: "linear", solver_order: 2, prediction_type: "epsilon", thresholding: false, sample_max_value: 1.0,
  algorithm_type: "dpmsolver++", solver_type: "midpoint", lower_order_final: false, euler_at_final: false,
  lambda_min_clipped: null, variance_type: null, final_sigmas_type: "sigma_min",
};

interface Case {
  /** key in the fixture, and the diffusers test it mirrors */
  name: string;
  run: () => Float32Array;
  /** diffusers' asserted numbers; sum is absent where diffusers asserts only the mean */
  sum?: number;
  mean: number;
  sumTol?: number;
  meanTol?: number;
}

const cases: Case[] = [
  { name: "ddim no_noise", run: () => plainLoop(createScheduler(DDIM), 10), sum: 172.0067, mean: 0.223967 },
  { name: "ddim v_prediction", run: () => plainLoop(createScheduler({ ...DDIM, prediction_type: "v_prediction" }), 10), sum: 52.5302, mean: 0.0684 },
  { name: "ddim set_alpha_to_one", run: () => plainLoop(createScheduler({ ...DDIM, set_alpha_to_one: true, beta_start: 0.01 }), 10), sum: 149.8295, mean: 0.1951 },
  { name: "ddim no_set_alpha_to_one", run: () => plainLoop(createScheduler({ ...DDIM, set_alpha_to_one: false, beta_start: 0.01 }), 10), sum: 149.0784, mean: 0.1941 },
  { name: "ddim with_noise", run: () => plainLoop(createScheduler(DDIM), 10, { startIndex: 8 }), sum: 354.5418, mean: 0.4616 },
  { name: "euler no_noise", run: () => kLoop(createScheduler(EULER), 10), sum: 10.0807, mean: 0.0131 },
  { name: "euler v_prediction", run: () => kLoop(createScheduler({ ...EULER, prediction_type: "v_prediction" }), 10), sum: 0.0002, mean: 2.2676e-6 },
  { name: "euler karras", run: () => kLoop(createScheduler({ ...EULER, use_karras_sigmas: true }), 10), sum: 124.52299499511719, mean: 0.16213932633399963 },
  { name: "euler with_noise", run: () => kLoop(createScheduler(EULER), 10, { startIndex: 8 }), sum: 57062.9297, mean: 74.3007 },
  { name: "lms no_noise", run: () => kLoop(createScheduler(LMS), 10), sum: 1006.388, mean: 1.31 },
  { name: "lms v_prediction", run: () => kLoop(createScheduler({ ...LMS, prediction_type: "v_prediction" }), 10), sum: 0.0017, mean: 2.2676e-6 },
  { name: "lms karras", run: () => kLoop(createScheduler({ ...LMS, use_karras_sigmas: true }), 10), sum: 3812.9927, mean: 4.9648, sumTol: 2e-2 },
  { name: "lms with_noise", run: () => kLoop(createScheduler(LMS), 10, { startIndex: 8 }), sum: 27663.6895, mean: 36.0204 },
  { name: "dpm no_noise", run: () => plainLoop(createScheduler(DPM), 10), mean: 0.3301 },
  { name: "dpm with_noise", run: () => plainLoop(createScheduler(DPM), 10, { startIndex: 5 }), sum: 318.4111, mean: 0.4146 },
  { name: "dpm v_prediction", run: () => plainLoop(createScheduler({ ...DPM, prediction_type: "v_prediction" }), 10), mean: 0.2251 },
  { name: "dpm karras v_prediction", run: () => plainLoop(createScheduler({ ...DPM, prediction_type: "v_prediction", use_karras_sigmas: true }), 10), mean: 0.2096 },
  { name: "dpm lu v_prediction", run: () => plainLoop(createScheduler({ ...DPM, prediction_type: "v_prediction", use_lu_lambdas: true }), 10), mean: 0.1554 },
];

describe("conformance - diffusers full-loop scheduler tests", () => {
  for (const c of cases) {
    test(`conformance - ${c.name} matches diffusers' asserted sum/mean and final sample`, () => {
      const sample = c.run();
      if (c.sum !== undefined) {
        const sum = absSum(sample);
        assert.ok(Math.abs(sum - c.sum) < (c.sumTol ?? 1e-2), `result_sum ${sum}, diffusers expects ${c.sum}`);
      }
      const mean = absMean(sample);
      assert.ok(Math.abs(mean - c.mean) < (c.meanTol ?? 1e-3), `result_mean ${mean}, diffusers expects ${c.mean}`);
      assertMatchesReference(sample, lookup(reference.fullLoops, c.name));
    });
  }
});
