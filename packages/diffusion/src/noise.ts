/**
 * Counter-based Gaussian noise: element `i` of `gaussianNoise(seed, counter, n)` is a pure function
 * of (seed, counter, i). No generator state exists, so an edit resumed at step k on another replica
 * draws exactly the noise the original run would have drawn.
 *
 * Specification (enough to reimplement it elsewhere):
 *  1. Bits: Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11;
 *     the Random123 reference). Key = [seed, 0] (uint32 words). Element i belongs to block
 *     b = floor(i / 4), lane i mod 4; the block's 128-bit counter is the four uint32 words
 *     [b mod 2^32, floor(b / 2^32), counter, 0]. One Philox call yields words w0..w3.
 *  2. Uniforms: u_j = (w_j + 0.5) / 2^32, in float64, strictly inside (0, 1).
 *  3. Box-Muller (basic, trigonometric form) on the pairs (u0, u1) and (u2, u3):
 *       r = sqrt(-2 ln u_a), theta = 2 pi u_b, z_a = r cos theta, z_b = r sin theta,
 *     computed in float64 and rounded to float32. Lanes 0,1 come from (u0,u1), lanes 2,3 from (u2,u3).
 *  Counters: denoising step k (0-based index into the schedule) uses counter = k; the initial
 *  latent uses INITIAL_NOISE_COUNTER. Math.log/sin/cos are V8's fdlibm ports, so results are
 *  identical on every machine running the same Node major version.
 */
import { InvalidArgumentError } from "./errors.js";

/** Counter of the initial latent noise; step counters are 0..numSteps-1, so it never collides. */
export const INITIAL_NOISE_COUNTER = 0xffffffff;

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 (exact, via 16-bit halves). */
function mulHi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const cross = (loLo >>> 16) + (hiLo & 0xffff) + loHi; // < 2^33, exact in float64
  return (aHi * bHi + (hiLo >>> 16) + Math.floor(cross / 0x10000)) >>> 0;
}

/**
 * Philox4x32 with `rounds` rounds (10 is the standard): counter [4] uint32, key [2] uint32 ->
 * [4] uint32. The key is bumped by the Weyl constants before every round but the first.
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
  rounds = 10,
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((x) => x >>> 0) as [number, number, number, number];
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulHi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

const TWO_POW_32 = 0x100000000;

function checkUint32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${name} must be an integer in 0..2^32-1, got ${value}`);
  }
  return value;
}

/** `length` standard-normal float32 values for (seed, counter); see the module comment. */
export function gaussianNoise(seed: number, counter: number, length: number): Float32Array {
  checkUint32("seed", seed);
  checkUint32("counter", counter);
  if (!Number.isInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a non-negative integer, got ${length}`);
  const out = new Float32Array(length);
  const key = [seed, 0] as const;
  for (let block = 0; block * 4 < length; block++) {
    const words = philox4x32([block % TWO_POW_32, Math.floor(block / TWO_POW_32), counter, 0], key);
    for (let pair = 0; pair < 2; pair++) {
      const i = block * 4 + pair * 2;
      if (i >= length) break;
      const ua = (words[pair * 2]! + 0.5) / TWO_POW_32;
      const ub = (words[pair * 2 + 1]! + 0.5) / TWO_POW_32;
      const r = Math.sqrt(-2 * Math.log(ua));
      const theta = 2 * Math.PI * ub;
      out[i] = r * Math.cos(theta);
      if (i + 1 < length) out[i + 1] = r * Math.sin(theta);
    }
  }
  return out;
}

/**
 * The initial latent of an edit: gaussianNoise(seed, INITIAL_NOISE_COUNTER, length) scaled by the
 * scheduler's initNoiseSigma (in float32, as diffusers' `latents * init_noise_sigma`).
 */
export function initialLatents(seed: number, length: number, initNoiseSigma: number): Float32Array {
  const sigma = Math.fround(initNoiseSigma);
  return gaussianNoise(seed, INITIAL_NOISE_COUNTER, length).map((z) => Math.fround(z * sigma));
}
