/**
 * Full loops for the configurations this project ships or meets in the wild (InstructPix2Pix's
 * scaled_linear schedule; our model's v-prediction + zero terminal SNR + trailing), against
 * diffusers' numbers. Pipeline-shaped loop: the model sees scaleModelInput(latent), step gets latent.
 */
import { describe, test } from "node:test";
import { createScheduler, type SchedulerConfig } from "../src/index.js";
import { IP2P_CONFIG, ZERO_SNR_CONFIG } from "./support/configs.js";
import { dummyModel, dummySampleDeter, scale } from "./support/dummy-model.js";
import { assertMatchesReference, lookup, reference } from "./support/reference.js";

function pipelineLoop(config: SchedulerConfig, steps: number): Float32Array {
  const s = createScheduler(config);
  s.setTimesteps(steps);
  let latent = scale(dummySampleDeter(), s.initNoiseSigma);
  for (const t of s.timesteps) latent = s.step(dummyModel(s.scaleModelInput(latent, t), t), t, latent);
  return latent;
}

const ddimZeroSnr = { ...ZERO_SNR_CONFIG, _class_name: "DDIMScheduler", clip_sample: false, set_alpha_to_one: false };
const cases: [string, SchedulerConfig, number][] = [
  ["ddim zero-snr trailing v_prediction 10", ddimZeroSnr, 10],
  ["ddim zero-snr trailing v_prediction 25", ddimZeroSnr, 25],
  ["euler zero-snr trailing v_prediction 10", { ...ZERO_SNR_CONFIG, _class_name: "EulerDiscreteScheduler" }, 10],
  ["dpm++2m zero-snr trailing v_prediction 10", { ...ZERO_SNR_CONFIG, _class_name: "DPMSolverMultistepScheduler" }, 10],
  ["dpm++2m ip2p karras 20", { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler", use_karras_sigmas: true }, 20],
  ["dpm++2m ip2p 8 default lower_order_final", { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler" }, 8],
  ["dpm++3m heun ip2p 12", { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler", solver_order: 3, solver_type: "heun" }, 12],
  ["euler ip2p 20", { ...IP2P_CONFIG, _class_name: "EulerDiscreteScheduler" }, 20],
  ["lms ip2p 20", { ...IP2P_CONFIG, _class_name: "LMSDiscreteScheduler" }, 20],
  ["ddim ip2p leading 20", { ...IP2P_CONFIG, _class_name: "DDIMScheduler" }, 20],
  ["ddim clip_sample_range 0.2 10", { _class_name: "DDIMScheduler", clip_sample: true, clip_sample_range: 0.2 }, 10],
  ["ddim sample prediction ip2p 10", { ...IP2P_CONFIG, _class_name: "DDIMScheduler", prediction_type: "sample" }, 10],
  ["dpm++2m sample prediction ip2p 10", { ...IP2P_CONFIG, _class_name: "DPMSolverMultistepScheduler", prediction_type: "sample" }, 10],
  ["lms sample prediction ip2p 10", { ...IP2P_CONFIG, _class_name: "LMSDiscreteScheduler", prediction_type: "sample" }, 10],
  [
    "euler squaredcos leading sample 10",
    { _class_name: "EulerDiscreteScheduler", beta_schedule: "squaredcos_cap_v2", timestep_spacing: "leading", steps_offset: 1, prediction_type: "sample" },
    10,
  ],
];

describe("our configs - full loops against diffusers", () => {
  for (const [name, config, steps] of cases) {
    test(`our configs - ${name}`, () => {
      assertMatchesReference(pipelineLoop(config, steps), lookup(reference.ourConfigs, name));
    });
  }
});
