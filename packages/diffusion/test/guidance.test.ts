import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { combineGuidance } from "../src/index.js";

describe("guidance - InstructPix2Pix three-way CFG", () => {
  test("guidance - eps_neither + g_text (text_image - image) + g_image (image - neither)", () => {
    // rows: text+image, image only, neither; 2 elements each
    const eps = Float32Array.from([1.0, -2.0, 0.5, 0.25, 0.125, 4.0]);
    const out = combineGuidance(eps, 7.5, 1.5);
    const expected = [
      0.125 + 7.5 * (1.0 - 0.5) + 1.5 * (0.5 - 0.125),
      4.0 + 7.5 * (-2.0 - 0.25) + 1.5 * (0.25 - 4.0),
    ];
    assert.deepEqual(Array.from(out), expected.map(Math.fround));
  });
  test("guidance - scales 1, 1 give the text+image prediction", () => {
    const eps = Float32Array.from([0.3, 0.7, -0.1, 0.9, 0.2, 0.6]);
    assert.deepEqual(combineGuidance(eps, 1, 1), eps.subarray(0, 2));
  });
  test("guidance - scales 0, 0 give the unconditional prediction", () => {
    const eps = Float32Array.from([0.3, 0.7, -0.1, 0.9, 0.2, 0.6]);
    assert.deepEqual(combineGuidance(eps, 0, 0), eps.subarray(4, 6));
  });
  test("guidance - eps that is not three rows is a shape error", () => {
    assert.throws(() => combineGuidance(new Float32Array(4), 7.5, 1.5), { name: "ShapeMismatchError" });
  });
  test("guidance - non-finite scales are rejected", () => {
    assert.throws(() => combineGuidance(new Float32Array(3), Number.NaN, 1.5), { name: "InvalidArgumentError" });
  });
});
