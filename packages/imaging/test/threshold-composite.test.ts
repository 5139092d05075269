import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ImageArgumentError, ImageShapeError, boxBlur, thresholdComposite } from "../src/index.js";
import type { RgbImage } from "../src/index.js";
import { gradient, pixel } from "./images.js";

/** `img` with every channel value shifted by +-delta in a fixed checker pattern (VAE drift). */
function drift(img: RgbImage, delta: number): RgbImage {
  const data = new Uint8Array(img.data);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, data[i]! + (i % 2 ? delta : -delta)));
  return { ...img, data };
}

function paintSquare(img: RgbImage, x0: number, y0: number, size: number, rgb: [number, number, number]): void {
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) img.data.set(rgb, (y * img.width + x) * 3);
}

describe("thresholdComposite", () => {
  test("thresholdComposite - untouched regions come back bit-identical, the edit is kept", () => {
    const input = gradient(32, 32);
    const edited = drift(input, 4); // 4/255 ~ 0.016 < 0.03 everywhere
    paintSquare(edited, 10, 10, 10, [255, 0, 0]);
    const out = thresholdComposite(input, edited);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const inside = x >= 10 && x < 20 && y >= 10 && y < 20;
        const nearEdge = x >= 9 && x <= 20 && y >= 9 && y <= 20;
        if (inside) assert.deepEqual(pixel(out, x, y), [255, 0, 0], `edit at ${x},${y}`);
        else if (!nearEdge) assert.deepEqual(pixel(out, x, y), pixel(input, x, y), `input at ${x},${y}`);
      }
    }
  });

  test("thresholdComposite - identical images give the input", () => {
    const input = gradient(7, 5);
    assert.deepEqual(thresholdComposite(input, { ...input, data: new Uint8Array(input.data) }).data, input.data);
  });

  test("thresholdComposite - alpha 0 keeps the edited image everywhere", () => {
    const input = gradient(9, 9);
    const edited = drift(input, 2);
    assert.deepEqual(thresholdComposite(input, edited, { alpha: 0 }).data, edited.data);
  });

  test("thresholdComposite - the low-pass filter drops isolated changed pixels", () => {
    const input = gradient(9, 9);
    const edited = { ...input, data: new Uint8Array(input.data) };
    // One pixel changed by 51/255 = 0.2 per channel: above alpha alone, 0.2/9 < alpha blurred.
    const i = (4 * 9 + 4) * 3;
    for (let c = 0; c < 3; c++) edited.data[i + c] = input.data[i + c]! + 51 <= 255 ? input.data[i + c]! + 51 : input.data[i + c]! - 51;
    assert.deepEqual(pixel(thresholdComposite(input, edited, { blurRadiusPx: 0 }), 4, 4), pixel(edited, 4, 4));
    assert.deepEqual(pixel(thresholdComposite(input, edited, { blurRadiusPx: 1 }), 4, 4), pixel(input, 4, 4));
  });

  test("thresholdComposite - bad arguments are refused", () => {
    assert.throws(() => thresholdComposite(gradient(4, 4), gradient(4, 5)), ImageShapeError);
    assert.throws(() => thresholdComposite(gradient(4, 4), gradient(4, 4), { blurRadiusPx: 1.5 }), ImageArgumentError);
    assert.throws(() => thresholdComposite(gradient(4, 4), gradient(4, 4), { alpha: Number.NaN }), ImageArgumentError);
  });

  test("boxBlur - averages a (2r+1)^2 window with clamped edges", () => {
    const map = new Float32Array(25);
    map[12] = 9; // centre of 5x5
    const out = boxBlur(map, 5, 5, 1);
    assert.equal(out[12], 1);
    assert.equal(out[6], 1); // diagonal neighbour sees it
    assert.equal(out[0], 0); // two away
    const flat = boxBlur(new Float32Array(12).fill(0.5), 4, 3, 2);
    assert.ok(flat.every((v) => Math.abs(v - 0.5) < 1e-7), "constant map stays constant");
  });
});
