import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  ImageShapeError,
  nchwToNhwc,
  nchwToRgb,
  nchwToRgbBatch,
  nhwcToNchw,
  rgbBatchToNchw,
  rgbToNchw,
  unitToU8,
} from "../src/index.js";
import { gradient } from "./images.js";

describe("tensor layout", () => {
  test("tensor layout - rgbToNchw puts channel planes first and maps to [-1,1]", () => {
    // 2x1 image: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 102).
    const img = { width: 2, height: 1, data: new Uint8Array([0, 255, 51, 255, 0, 102]) };
    const t = rgbToNchw(img);
    assert.equal(t.length, 6);
    const f = Math.fround;
    assert.deepEqual([...t], [-1, 1, 1, -1, f(f(51 / 255) * 2 - 1), f(f(102 / 255) * 2 - 1)]);
  });

  test("tensor layout - every uint8 value survives the round trip", () => {
    const data = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) data.set([v, 255 - v, (v * 37) % 256], v * 3);
    const img = { width: 16, height: 16, data };
    assert.deepEqual(nchwToRgb(rgbToNchw(img), 16, 16).data, data);
  });

  test("tensor layout - float to uint8 clamps and maps NaN to 0", () => {
    assert.equal(unitToU8(-1), 0);
    assert.equal(unitToU8(1), 255);
    assert.equal(unitToU8(-3), 0);
    assert.equal(unitToU8(2), 255);
    assert.equal(unitToU8(Number.NaN), 0);
    assert.equal(unitToU8(Number.POSITIVE_INFINITY), 255);
  });

  test("tensor layout - exact halves round to even like numpy", () => {
    const f = Math.fround;
    // Find float32 x whose scaled value (x/2+0.5)*255 is exactly k + 0.5 for an odd and an even k.
    const found = new Map<string, number>();
    for (let k = 128; k < 250 && found.size < 2; k++) {
      const y = f((k + 0.5) / 255);
      if (f(y * 255) !== k + 0.5) continue;
      const x = f((y - 0.5) * 2); // exact: y - 0.5 is exact for y in [0.25, 1]
      const parity = k % 2 === 1 ? "odd" : "even";
      if (!found.has(parity)) {
        found.set(parity, k);
        assert.equal(unitToU8(x), k % 2 === 1 ? k + 1 : k, `k=${k}`);
      }
    }
    assert.equal(found.size, 2, "both parities exercised");
    assert.equal(unitToU8(0), 128); // 127.5 -> 128 (even)
  });

  test("tensor layout - batch variants keep images in order", () => {
    const a = gradient(5, 3);
    const b = { width: 5, height: 3, data: a.data.map((v) => 255 - v) };
    const t = rgbBatchToNchw([a, b]);
    assert.equal(t.length, 2 * 3 * 5 * 3);
    assert.deepEqual(t.subarray(0, 45), rgbToNchw(a));
    assert.deepEqual(t.subarray(45), rgbToNchw(b));
    const back = nchwToRgbBatch(t, { batch: 2, height: 3, width: 5 });
    assert.deepEqual(back[0]?.data, a.data);
    assert.deepEqual(back[1]?.data, b.data);
    assert.deepEqual(nchwToNhwc(nhwcToNchw(new Uint8Array(b.data), { batch: 1, height: 3, width: 5 }), { batch: 1, height: 3, width: 5 }), b.data);
  });

  test("tensor layout - shape mismatches are ImageShapeError", () => {
    assert.throws(() => nhwcToNchw(new Uint8Array(10), { batch: 1, height: 2, width: 2 }), ImageShapeError);
    assert.throws(() => nchwToNhwc(new Float32Array(13), { batch: 2, height: 2, width: 1 }), ImageShapeError);
    assert.throws(() => rgbBatchToNchw([]), ImageShapeError);
    assert.throws(() => rgbBatchToNchw([gradient(2, 2), gradient(2, 3)]), ImageShapeError);
    assert.throws(() => rgbToNchw({ width: 2, height: 2, data: new Uint8Array(11) }), ImageShapeError);
  });
});
