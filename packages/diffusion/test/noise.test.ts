import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gaussianNoise, initialLatents, INITIAL_NOISE_COUNTER, philox4x32 } from "../src/index.js";

describe("noise - Philox4x32-10 known answers (Random123 kat_vectors)", () => {
  const kat: [[number, number, number, number], [number, number], [number, number, number, number]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  kat.forEach(([counter, key, expected], i) => {
    test(`noise - philox4x32-10 vector ${i}`, () => {
      assert.deepEqual(philox4x32(counter, key), expected);
    });
  });
});

describe("noise - gaussianNoise", () => {
  test("noise - pure function of (seed, counter, index)", () => {
    assert.deepEqual(gaussianNoise(42, 3, 1000), gaussianNoise(42, 3, 1000));
    // element i does not depend on how many elements were asked for
    assert.deepEqual(gaussianNoise(42, 3, 7), gaussianNoise(42, 3, 1000).subarray(0, 7));
  });
  test("noise - element 0 follows the documented Box-Muller on Philox words", () => {
    const [w0, w1] = philox4x32([0, 0, 5, 0], [9, 0]);
    const u0 = (w0 + 0.5) / 2 ** 32;
    const u1 = (w1 + 0.5) / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u0));
    const z = gaussianNoise(9, 5, 2);
    assert.equal(z[0], Math.fround(r * Math.cos(2 * Math.PI * u1)));
    assert.equal(z[1], Math.fround(r * Math.sin(2 * Math.PI * u1)));
  });
  test("noise - different counters and seeds give different noise", () => {
    const base = gaussianNoise(1, 0, 256);
    assert.notDeepEqual(gaussianNoise(1, 1, 256), base);
    assert.notDeepEqual(gaussianNoise(2, 0, 256), base);
    assert.notDeepEqual(gaussianNoise(1, INITIAL_NOISE_COUNTER, 256), base);
  });
  test("noise - mean ~ 0 and std ~ 1 over 1e5 samples", () => {
    const z = gaussianNoise(20240601, 0, 100_000);
    let sum = 0;
    let sumSq = 0;
    for (const v of z) {
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / z.length;
    const std = Math.sqrt(sumSq / z.length - mean * mean);
    // 5 standard errors: 5/sqrt(1e5) ~ 0.016 for the mean, ~0.011 for the std
    assert.ok(Math.abs(mean) < 0.016, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.011, `std ${std}`);
  });
  test("noise - seeds and counters must be uint32", () => {
    assert.throws(() => gaussianNoise(-1, 0, 4), { name: "InvalidArgumentError" });
    assert.throws(() => gaussianNoise(0, 2 ** 32, 4), { name: "InvalidArgumentError" });
    assert.throws(() => gaussianNoise(1.5, 0, 4), { name: "InvalidArgumentError" });
  });
  test("noise - initialLatents is the INITIAL_NOISE_COUNTER noise times initNoiseSigma", () => {
    const sigma = 14.614646911621094;
    const expected = gaussianNoise(77, INITIAL_NOISE_COUNTER, 64).map((z) => Math.fround(z * sigma));
    assert.deepEqual(initialLatents(77, 64, sigma), expected);
  });
});
