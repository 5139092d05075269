/**
 * diffusers' scheduler test fixtures (tests/schedulers/test_schedulers.py), rebuilt bit-exactly:
 *  - dummy_sample_deter: arange(768).reshape(3,8,8,4) / 768, permuted to [4,3,8,8]
 *  - dummy_noise_deter:  the same with arange flipped
 *  - dummy_model:        model(sample, t) = sample * t / (t + 1), in float32
 */
import type { Scheduler } from "../../src/index.js";

const f = Math.fround;
export const BATCH = 4;
export const CHANNELS = 3;
export const SIZE = 8;
export const NUM_ELEMS = BATCH * CHANNELS * SIZE * SIZE;

function permuted(value: (arangeIndex: number) => number): Float32Array {
  const out = new Float32Array(NUM_ELEMS);
  for (let b = 0; b < BATCH; b++)
    for (let c = 0; c < CHANNELS; c++)
      for (let h = 0; h < SIZE; h++)
        for (let w = 0; w < SIZE; w++) {
          // [c,h,w,b] position in the reshaped arange -> [b,c,h,w] position after permute(3,0,1,2)
          const source = ((c * SIZE + h) * SIZE + w) * BATCH + b;
          out[((b * CHANNELS + c) * SIZE + h) * SIZE + w] = f(value(source) / NUM_ELEMS);
        }
  return out;
}

export const dummySampleDeter = (): Float32Array => permuted((i) => i);
export const dummyNoiseDeter = (): Float32Array => permuted((i) => NUM_ELEMS - 1 - i);

export function dummyModel(sample: Float32Array, t: number): Float32Array {
  const tf = f(t);
  const denom = f(tf + 1);
  return sample.map((x) => f(f(x * tf) / denom));
}

export function scale(sample: Float32Array, factor: number): Float32Array {
  const s = f(factor);
  return sample.map((x) => f(x * s));
}

export function absSum(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += Math.abs(v);
  return s;
}

/**
 * The loop of diffusers' Euler/LMS tests: note that it overwrites `sample` with the scaled input
 * and passes that to step (as the tests do), and starts from `startIndex` after add_noise.
 */
export function kLoop(scheduler: Scheduler, numSteps: number, opts: { startIndex?: number } = {}): Float32Array {
  scheduler.setTimesteps(numSteps);
  let sample = scale(dummySampleDeter(), scheduler.initNoiseSigma);
  const start = opts.startIndex ?? 0;
  if (start > 0) {
    scheduler.restore({ stepIndex: start, history: [] });
    sample = scheduler.addNoise(sample, dummyNoiseDeter(), start);
  }
  for (const t of scheduler.timesteps.slice(start)) {
    sample = scheduler.scaleModelInput(sample, t);
    sample = scheduler.step(dummyModel(sample, t), t, sample);
  }
  return sample;
}

/** The loop of diffusers' DDIM / DPM-Solver tests: no input scaling, no init_noise_sigma. */
export function plainLoop(scheduler: Scheduler, numSteps: number, opts: { startIndex?: number } = {}): Float32Array {
  scheduler.setTimesteps(numSteps);
  let sample = dummySampleDeter();
  const start = opts.startIndex ?? 0;
  if (start > 0) {
    scheduler.restore({ stepIndex: start, history: [] });
    sample = scheduler.addNoise(sample, dummyNoiseDeter(), start);
  }
  for (const t of scheduler.timesteps.slice(start)) sample = scheduler.step(dummyModel(sample, t), t, sample);
  return sample;
}
