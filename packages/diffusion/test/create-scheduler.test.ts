import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createScheduler, SUPPORTED_SCHEDULERS } from "../src/index.js";
import { IP2P_CONFIG } from "./support/configs.js";

describe("create scheduler - from scheduler_config.json", () => {
  test("create scheduler - InstructPix2Pix's config builds EulerAncestral (unknown keys ignored)", () => {
    const s = createScheduler(IP2P_CONFIG);
    assert.equal(s.name, "EulerAncestralDiscreteScheduler");
    assert.equal(s.order, 1);
    assert.equal(s.stateTensorCount(), 0);
  });
  test("create scheduler - className override swaps the algorithm, keeps the schedule", () => {
    for (const className of SUPPORTED_SCHEDULERS) {
      const s = createScheduler(IP2P_CONFIG, { className });
      assert.equal(s.name, className);
      s.setTimesteps(10);
      assert.equal(s.timesteps.length, 10);
    }
  });
  test("create scheduler - DPM-Solver++ keeps solver_order model outputs", () => {
    assert.equal(createScheduler(IP2P_CONFIG, { className: "DPMSolverMultistepScheduler" }).stateTensorCount(), 2);
    assert.equal(createScheduler({ ...IP2P_CONFIG, solver_order: 3 }, { className: "DPMSolverMultistepScheduler" }).stateTensorCount(), 3);
  });
  test("create scheduler - an unknown class names the supported ones", () => {
    assert.throws(() => createScheduler({ ...IP2P_CONFIG, _class_name: "PNDMScheduler" }), (err: Error) => {
      assert.equal(err.name, "UnsupportedSchedulerError");
      assert.match(err.message, /PNDMScheduler/);
      for (const name of SUPPORTED_SCHEDULERS) assert.ok(err.message.includes(name));
      return true;
    });
    assert.throws(() => createScheduler({}), { name: "UnsupportedSchedulerError" });
  });
  test("create scheduler - unsupported or malformed values name the key", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ _class_name: "DDIMScheduler", thresholding: true }, /thresholding/],
      [{ _class_name: "DDIMScheduler", timestep_spacing: "karras" }, /timestep_spacing/],
      [{ _class_name: "EulerDiscreteScheduler", beta_schedule: "sigmoid" }, /beta_schedule/],
      [{ _class_name: "EulerDiscreteScheduler", prediction_type: "flow_prediction" }, /prediction_type/],
      [{ _class_name: "EulerDiscreteScheduler", use_exponential_sigmas: true }, /use_exponential_sigmas/],
      [{ _class_name: "DPMSolverMultistepScheduler", algorithm_type: "sde-dpmsolver++" }, /algorithm_type/],
      [{ _class_name: "DPMSolverMultistepScheduler", solver_order: 4 }, /solver_order/],
      [{ _class_name: "DPMSolverMultistepScheduler", variance_type: "learned_range" }, /variance_type/],
      [{ _class_name: "LMSDiscreteScheduler", num_train_timesteps: "1000" }, /num_train_timesteps/],
      [{ _class_name: "LMSDiscreteScheduler", trained_betas: [0.1, 0.2] }, /trained_betas/],
    ];
    for (const [config, pattern] of cases) {
      assert.throws(() => createScheduler(config), (err: Error) => {
        assert.equal(err.name, "SchedulerConfigError", JSON.stringify(config));
        assert.match(err.message, pattern);
        return true;
      });
    }
  });
  test("create scheduler - trained_betas replace the beta schedule", () => {
    const betas = Array.from({ length: 10 }, (_, i) => 0.01 + i * 0.05);
    const s = createScheduler({ _class_name: "DDIMScheduler", num_train_timesteps: 10, trained_betas: betas, clip_sample: false });
    s.setTimesteps(5);
    assert.deepEqual(s.timesteps, [8, 6, 4, 2, 0]);
  });
  test("create scheduler - too many steps or too many DDIM offset steps are rejected", () => {
    const s = createScheduler(IP2P_CONFIG);
    assert.throws(() => s.setTimesteps(0), { name: "SchedulerStateError" });
    assert.throws(() => s.setTimesteps(1001), { name: "SchedulerStateError" });
    const ddim = createScheduler({ _class_name: "DDIMScheduler", steps_offset: 1 });
    assert.throws(() => ddim.setTimesteps(1000), { name: "SchedulerConfigError" });
  });
});
