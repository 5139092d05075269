/**
 * Euler ancestral against diffusers with injected noise (diffusers' own expected numbers depend on
 * torch's generator, so the fixture was produced with step i's noise set to
 * (dummy_noise_deter - 0.5) * (1 + i/10)), and the seeded step's use of the counter-based noise.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createScheduler, gaussianNoise, type SchedulerConfig } from "../src/index.js";
import { EulerAncestralDiscreteScheduler } from "../src/schedulers/euler-ancestral.js";
import { IP2P_CONFIG, ZERO_SNR_CONFIG } from "./support/configs.js";
import { dummyModel, dummyNoiseDeter, dummySampleDeter, scale } from "./support/dummy-model.js";
import { assertMatchesReference, lookup, reference } from "./support/reference.js";

const f = Math.fround;
const K_TEST: SchedulerConfig = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: "linear" };
const ZERO_SNR: SchedulerConfig = { ...ZERO_SNR_CONFIG, _class_name: "EulerAncestralDiscreteScheduler" };

function injectedNoise(i: number): Float32Array {
  const factor = f(1 + i / 10);
  return dummyNoiseDeter().map((n) => f(f(n - 0.5) * factor));
}

function build(config: SchedulerConfig): EulerAncestralDiscreteScheduler {
  const s = createScheduler({ ...config, _class_name: "EulerAncestralDiscreteScheduler" });
  assert.ok(s instanceof EulerAncestralDiscreteScheduler);
  return s;
}

/** diffusers' test loop (sample overwritten by the scaled input, as the test does). */
function testLoop(config: SchedulerConfig): Float32Array {
  const s = build(config);
  s.setTimesteps(10);
  let sample = scale(dummySampleDeter(), s.initNoiseSigma);
  s.timesteps.forEach((t, i) => {
    sample = s.scaleModelInput(sample, t);
    sample = s.stepWithNoise(dummyModel(sample, t), t, sample, injectedNoise(i));
  });
  return sample;
}

/** A pipeline-shaped loop: the model sees the scaled latent, the step gets the unscaled one. */
function pipelineLoop(config: SchedulerConfig, steps: number): Float32Array {
  const s = build(config);
  s.setTimesteps(steps);
  let latent = scale(dummySampleDeter(), s.initNoiseSigma);
  s.timesteps.forEach((t, i) => {
    const out = dummyModel(s.scaleModelInput(latent, t), t);
    latent = s.stepWithNoise(out, t, latent, injectedNoise(i));
  });
  return latent;
}

describe("euler ancestral - injected noise against diffusers", () => {
  const table = reference.eulerAncestralInjected;
  test("euler ancestral - diffusers test config, epsilon", () => {
    assertMatchesReference(testLoop(K_TEST), lookup(table, "diffusers-test-config epsilon"));
  });
  test("euler ancestral - diffusers test config, v_prediction", () => {
    assertMatchesReference(testLoop({ ...K_TEST, prediction_type: "v_prediction" }), lookup(table, "diffusers-test-config v_prediction"));
  });
  test("euler ancestral - InstructPix2Pix config, 20 steps", () => {
    assertMatchesReference(pipelineLoop(IP2P_CONFIG, 20), lookup(table, "ip2p 20 steps"));
  });
  test("euler ancestral - zero terminal SNR, trailing, v_prediction, 10 steps", () => {
    assertMatchesReference(pipelineLoop(ZERO_SNR, 10), lookup(table, "zero-snr trailing v_prediction 10 steps"));
  });
});

describe("euler ancestral - seeded noise", () => {
  test("euler ancestral - step(seed) equals stepWithNoise(gaussianNoise(seed, stepIndex))", () => {
    const a = build(IP2P_CONFIG);
    const b = build(IP2P_CONFIG);
    a.setTimesteps(5);
    b.setTimesteps(5);
    let x = dummySampleDeter();
    let y = dummySampleDeter();
    a.timesteps.forEach((t, i) => {
      x = a.step(dummyModel(x, t), t, x, { seed: 1234 });
      y = b.stepWithNoise(dummyModel(y, t), t, y, gaussianNoise(1234, i, y.length));
    });
    assert.deepEqual(x, y);
  });
  test("euler ancestral - different seeds give different samples", () => {
    const run = (seed: number): Float32Array => {
      const s = build(IP2P_CONFIG);
      s.setTimesteps(3);
      let x = dummySampleDeter();
      for (const t of s.timesteps) x = s.step(dummyModel(x, t), t, x, { seed });
      return x;
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });
  test("euler ancestral - step without a seed is an error", () => {
    const s = build(IP2P_CONFIG);
    s.setTimesteps(3);
    const x = dummySampleDeter();
    assert.throws(() => s.step(x, s.timesteps[0]!, x), { name: "InvalidArgumentError" });
  });
  test("euler ancestral - prediction_type sample is rejected as in diffusers", () => {
    assert.throws(() => build({ ...IP2P_CONFIG, prediction_type: "sample" }), { name: "SchedulerConfigError" });
  });
});
