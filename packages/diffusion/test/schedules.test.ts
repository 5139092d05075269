/**
 * Betas, alphas_cumprod, timesteps, sigmas and init_noise_sigma against diffusers, for the
 * InstructPix2Pix config, zero terminal SNR, and every spacing of every scheduler.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createScheduler, type SchedulerConfig } from "../src/index.js";
import { DDIMScheduler } from "../src/schedulers/ddim.js";
import { DPMSolverMultistepScheduler } from "../src/schedulers/dpm-solver-multistep.js";
import { EulerAncestralDiscreteScheduler } from "../src/schedulers/euler-ancestral.js";
import { EulerDiscreteScheduler } from "../src/schedulers/euler.js";
import { LMSDiscreteScheduler } from "../src/schedulers/lms.js";
import {
  alphasCumprod, makeBetas, npArange, rescaleZeroTerminalSnr, roundHalfEven,
} from "../src/schedulers/schedules.js";
import { IP2P_CONFIG, ZERO_SNR_CONFIG } from "./support/configs.js";
import { assertArrayClose, lookup, reference } from "./support/reference.js";

interface SigmaRef { timesteps: number[]; sigmas: number[]; initNoiseSigma?: number }
const schedules = reference.schedules;
const sigmaRef = (key: string): SigmaRef => lookup(schedules, key) as SigmaRef;
const numbersRef = (key: string): number[] => lookup(schedules, key) as number[];
/** Sigmas agree to the bit except where numpy's float32 log enters (Karras/_sigma_to_t). */
const SIGMA_TOL = 2e-7;

describe("schedules - InstructPix2Pix config (EulerAncestral, scaled_linear, steps_offset 1)", () => {
  for (const steps of [20, 100]) {
    test(`schedules - ip2p ${steps} steps: timesteps, sigmas, init sigma as diffusers`, () => {
      const s = new EulerAncestralDiscreteScheduler(IP2P_CONFIG);
      s.setTimesteps(steps);
      const ref = sigmaRef(`ip2p euler_ancestral ${steps}`);
      assert.deepEqual(s.timesteps, ref.timesteps);
      assertArrayClose(s.sigmas, ref.sigmas, SIGMA_TOL, "sigmas");
      assert.equal(s.initNoiseSigma, ref.initNoiseSigma);
    });
  }
  test("schedules - ip2p 20 steps starts at the known values", () => {
    const s = createScheduler(IP2P_CONFIG);
    s.setTimesteps(20);
    assert.deepEqual(s.timesteps.slice(0, 3), [999, 946.4210815429688, 893.8421020507812]);
    assert.equal(s.timesteps[19], 0);
    assert.equal(s.initNoiseSigma, 14.614646911621094);
  });
  test("schedules - ip2p betas and alphas_cumprod as torch float32", () => {
    const ref = lookup(schedules, "ip2p betas") as { indices: number[]; betas: number[]; alphasCumprod: number[] };
    const betas = makeBetas({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: "scaled_linear", trainedBetas: null });
    const abar = alphasCumprod(betas);
    assert.deepEqual(ref.indices.map((i) => betas[i]), ref.betas);
    assert.deepEqual(ref.indices.map((i) => abar[i]), ref.alphasCumprod);
  });
  test("schedules - LMS on the ip2p config", () => {
    const s = new LMSDiscreteScheduler({ ...IP2P_CONFIG, _class_name: "LMSDiscreteScheduler" });
    s.setTimesteps(20);
    const ref = sigmaRef("ip2p lms 20");
    assert.deepEqual(s.timesteps, ref.timesteps);
    assertArrayClose(s.sigmas, ref.sigmas, SIGMA_TOL, "sigmas");
    assert.equal(s.initNoiseSigma, ref.initNoiseSigma);
  });
});

describe("schedules - zero terminal SNR", () => {
  test("schedules - rescaled betas end at 1 and alphas_cumprod at 0 (DDIM)", () => {
    const ref = lookup(schedules, "zero-snr ddim alphasCumprod") as { indices: number[]; betas: number[]; alphasCumprod: number[] };
    const betas = rescaleZeroTerminalSnr(
      makeBetas({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: "scaled_linear", trainedBetas: null }),
    );
    const abar = alphasCumprod(betas);
    assertArrayClose(ref.indices.map((i) => betas[i]!), ref.betas, 1e-7, "betas");
    assertArrayClose(ref.indices.map((i) => abar[i]!), ref.alphasCumprod, 1e-7, "alphas_cumprod");
    assert.equal(betas[999], 1);
    assert.equal(abar[999], 0);
  });
  for (const steps of [10, 16, 30, 50]) {
    test(`schedules - DDIM trailing ${steps} steps`, () => {
      const s = createScheduler({ ...ZERO_SNR_CONFIG, _class_name: "DDIMScheduler" });
      s.setTimesteps(steps);
      assert.deepEqual(s.timesteps, numbersRef(`zero-snr ddim trailing ${steps}`));
      assert.equal(s.timesteps[0], 999);
    });
  }
  test("schedules - Euler's first sigma is finite (~4096) via alphas_cumprod[-1] = 2^-24", () => {
    const s = new EulerDiscreteScheduler({ ...ZERO_SNR_CONFIG, _class_name: "EulerDiscreteScheduler" });
    s.setTimesteps(10);
    const ref = sigmaRef("zero-snr euler trailing 10");
    assert.deepEqual(s.timesteps, ref.timesteps);
    assertArrayClose(s.sigmas, ref.sigmas, SIGMA_TOL, "sigmas");
    assert.equal(s.initNoiseSigma, ref.initNoiseSigma);
  });
});

describe("schedules - timestep spacing per scheduler (steps_offset 1, diffusers defaults otherwise)", () => {
  for (const spacing of ["linspace", "leading", "trailing"]) {
    for (const steps of [7, 16, 30]) {
      const config: SchedulerConfig = { timestep_spacing: spacing, steps_offset: 1 };
      test(`schedules - ${spacing} ${steps}: DDIM, Euler, DPM-Solver`, () => {
        const ddim = new DDIMScheduler(config);
        ddim.setTimesteps(steps);
        assert.deepEqual(ddim.timesteps, numbersRef(`ddim ${spacing} offset1 ${steps}`));
        const euler = new EulerDiscreteScheduler(config);
        euler.setTimesteps(steps);
        const eulerRef = sigmaRef(`euler ${spacing} offset1 ${steps}`);
        assert.deepEqual(euler.timesteps, eulerRef.timesteps);
        assertArrayClose(euler.sigmas, eulerRef.sigmas, SIGMA_TOL, "euler sigmas");
        assert.equal(euler.initNoiseSigma, eulerRef.initNoiseSigma);
        const dpm = new DPMSolverMultistepScheduler(config);
        dpm.setTimesteps(steps);
        const dpmRef = sigmaRef(`dpm ${spacing} offset1 ${steps}`);
        assert.deepEqual(dpm.timesteps, dpmRef.timesteps);
        assertArrayClose(dpm.sigmas, dpmRef.sigmas, SIGMA_TOL, "dpm sigmas");
      });
    }
  }
  test("schedules - DDIM leading with steps_offset 1 (diffusers test_steps_offset)", () => {
    const s = createScheduler({ _class_name: "DDIMScheduler", num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: "linear", steps_offset: 1 });
    s.setTimesteps(5);
    assert.deepEqual(s.timesteps, [801, 601, 401, 201, 1]);
  });
  test("schedules - DPM-Solver lambda_min_clipped drops high-noise timesteps (squaredcos)", () => {
    const s = new DPMSolverMultistepScheduler({ beta_schedule: "squaredcos_cap_v2", lambda_min_clipped: -5.1 });
    s.setTimesteps(25);
    const ref = sigmaRef("dpm squaredcos lambda_min_clipped -5.1 25");
    assert.deepEqual(s.timesteps, ref.timesteps);
    assertArrayClose(s.sigmas, ref.sigmas, SIGMA_TOL, "sigmas");
  });
  test("schedules - DPM-Solver Karras sigmas on squaredcos keep fractional timesteps truncated", () => {
    const s = new DPMSolverMultistepScheduler({ beta_schedule: "squaredcos_cap_v2", use_karras_sigmas: true });
    s.setTimesteps(10);
    const ref = sigmaRef("dpm squaredcos karras 10");
    assert.deepEqual(s.timesteps, ref.timesteps);
    assertArrayClose(s.sigmas, ref.sigmas, SIGMA_TOL, "sigmas");
  });
});

describe("schedules - numpy helpers", () => {
  test("schedules - roundHalfEven rounds ties to even like numpy", () => {
    assert.deepEqual([0.5, 1.5, 2.5, 937.5, 812.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 938, 812, -0, -2, 2, 3]);
  });
  test("schedules - npArange reproduces numpy's start + i*((start+step)-start) fill", () => {
    const values = npArange(1000, 0, -1000 / 30);
    assert.equal(values.length, 30);
    assert.equal(values[2], 1000 + 2 * (1000 + -1000 / 30 - 1000));
  });
});
