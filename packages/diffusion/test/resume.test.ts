/**
 * A checkpointed edit resumed on another replica must end bit-identical: snapshot after k steps,
 * serialise through plain arrays (as a NATS checkpoint would), restore into a fresh scheduler from
 * the same config, finish, and compare with the uninterrupted run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createScheduler, type Scheduler, type SchedulerConfig, type SchedulerState } from "../src/index.js";
import { IP2P_CONFIG, ZERO_SNR_CONFIG } from "./support/configs.js";
import { dummyModel, dummySampleDeter } from "./support/dummy-model.js";

const SEED = 31337;

function runSteps(s: Scheduler, latent: Float32Array, from: number, to: number): Float32Array {
  let x = latent;
  for (const t of s.timesteps.slice(from, to)) x = s.step(dummyModel(s.scaleModelInput(x, t), t), t, x, { seed: SEED });
  return x;
}

function roundTrip(state: SchedulerState): SchedulerState {
  const wire = JSON.stringify({ stepIndex: state.stepIndex, history: state.history.map((h) => Array.from(h)) });
  const parsed = JSON.parse(wire) as { stepIndex: number; history: number[][] };
  return { stepIndex: parsed.stepIndex, history: parsed.history.map((h) => Float32Array.from(h)) };
}

const configs: [string, SchedulerConfig, number][] = [
  ["EulerAncestral (ip2p)", IP2P_CONFIG, 12],
  ["DPM++ 2M", { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler" }, 12],
  ["DPM++ 3M", { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler", solver_order: 3 }, 12],
  ["LMS", { ...IP2P_CONFIG, _class_name: "LMSDiscreteScheduler" }, 12],
  ["DDIM zero-SNR", { ...ZERO_SNR_CONFIG, _class_name: "DDIMScheduler" }, 12],
  ["Euler", { ...IP2P_CONFIG, _class_name: "EulerDiscreteScheduler" }, 12],
];

describe("resume - snapshot/restore is bit-identical", () => {
  for (const [name, config, steps] of configs) {
    test(`resume - ${name} resumed after 5 of ${steps} steps ends identical`, () => {
      const whole = createScheduler(config);
      whole.setTimesteps(steps);
      const expected = runSteps(whole, dummySampleDeter(), 0, steps);

      const first = createScheduler(config);
      first.setTimesteps(steps);
      const checkpoint = runSteps(first, dummySampleDeter(), 0, 5);
      const state = roundTrip(first.snapshot());
      assert.equal(state.stepIndex, 5);
      assert.ok(state.history.length <= first.stateTensorCount());

      const second = createScheduler(config);
      second.setTimesteps(steps);
      second.restore(state);
      assert.deepEqual(runSteps(second, Float32Array.from(checkpoint), 5, steps), expected);
    });
  }
  test("resume - a multistep solver without its history diverges (the history is needed)", () => {
    const config = { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler" };
    const whole = createScheduler(config);
    whole.setTimesteps(10);
    const expected = runSteps(whole, dummySampleDeter(), 0, 10);
    const first = createScheduler(config);
    first.setTimesteps(10);
    const checkpoint = runSteps(first, dummySampleDeter(), 0, 5);
    const second = createScheduler(config);
    second.setTimesteps(10);
    second.restore({ stepIndex: 5, history: [] });
    assert.notDeepEqual(runSteps(second, checkpoint, 5, 10), expected);
  });
  test("resume - snapshot copies tensors", () => {
    const s = createScheduler({ ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler" });
    s.setTimesteps(5);
    runSteps(s, dummySampleDeter(), 0, 2);
    const snap = s.snapshot();
    snap.history[0]!.fill(0);
    assert.notDeepEqual(s.snapshot().history[0], snap.history[0]);
  });
});

describe("resume - invalid states and out-of-order use", () => {
  const dpm = (): Scheduler => {
    const s = createScheduler({ ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler" });
    s.setTimesteps(10);
    return s;
  };
  test("resume - stepIndex outside the schedule is rejected", () => {
    assert.throws(() => dpm().restore({ stepIndex: 11, history: [] }), { name: "SchedulerStateError" });
  });
  test("resume - more history than the solver keeps, or than steps taken, is rejected", () => {
    const h = new Float32Array(4);
    assert.throws(() => dpm().restore({ stepIndex: 5, history: [h, h, h] }), { name: "SchedulerStateError" });
    assert.throws(() => dpm().restore({ stepIndex: 1, history: [h, h] }), { name: "SchedulerStateError" });
  });
  test("resume - stepping with a timestep that is not timesteps[stepIndex] is rejected", () => {
    const s = dpm();
    const x = dummySampleDeter();
    assert.throws(() => s.step(x, s.timesteps[1]!, x), { name: "SchedulerStateError" });
  });
  test("resume - a multistep solver refuses to jump away from its history", () => {
    const s = dpm();
    const x = dummySampleDeter();
    const t0 = s.timesteps[0]!;
    s.step(dummyModel(x, t0), t0, x);
    assert.throws(() => s.step(x, s.timesteps[3]!, x, { stepIndex: 3 }), { name: "SchedulerStateError" });
  });
  test("resume - using a scheduler before setTimesteps is rejected", () => {
    const s = createScheduler(IP2P_CONFIG);
    assert.throws(() => s.timesteps, { name: "SchedulerStateError" });
    assert.throws(() => s.snapshot(), { name: "SchedulerStateError" });
  });
});
