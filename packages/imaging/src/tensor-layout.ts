// Pixel <-> model tensor conversions (pure; no sharp). Used by the VAE service: images travel
// as [N,H,W,3] uint8 on the wire and the ONNX VAE wants [N,3,H,W] float32 in [-1,1].
//
// Numerics follow diffusers' VaeImageProcessor bit for bit, in float32:
//   to model:   x = (u8 / 255) * 2 - 1                          (pil_to_numpy, normalize)
//   from model: u8 = round_half_even(clamp(x / 2 + 0.5, 0, 1) * 255)
//               (denormalize, numpy_to_pil: `(images * 255).round()`; numpy rounds halves
//               to even). NaN maps to 0.

import { ImageShapeError } from "./errors.js";
import { assertRgbImage } from "./types.js";
import type { RgbImage } from "./types.js";

export interface BatchShape {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
}

const f32 = Math.fround;

// 256-entry table: each uint8 value's float32 image in [-1,1].
const U8_TO_UNIT: Float32Array = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = f32(f32(v / 255) * 2 - 1);
  return t;
})();

/** One float32 sample in [-1,1] -> uint8, as diffusers does (see the header). */
export function unitToU8(x: number): number {
  const y = f32(f32(x / 2) + 0.5);
  if (!(y > 0)) return 0; // also NaN
  if (y >= 1) return 255;
  const scaled = f32(y * 255);
  let r = Math.round(scaled);
  if (r - scaled === 0.5 && r % 2 === 1) r -= 1; // half to even
  return r;
}

/** [N,H,W,3] uint8 -> [N,3,H,W] float32 in [-1,1]. */
export function nhwcToNchw(data: Uint8Array, shape: BatchShape): Float32Array {
  const plane = checkShape(data.length, shape, "nhwcToNchw input");
  const out = new Float32Array(shape.batch * 3 * plane);
  for (let n = 0; n < shape.batch; n++) {
    const src = n * plane * 3;
    const dst = n * plane * 3;
    for (let p = 0; p < plane; p++) {
      const s = src + p * 3;
      out[dst + p] = U8_TO_UNIT[data[s]!]!;
      out[dst + plane + p] = U8_TO_UNIT[data[s + 1]!]!;
      out[dst + 2 * plane + p] = U8_TO_UNIT[data[s + 2]!]!;
    }
  }
  return out;
}

/** [N,3,H,W] float32 in [-1,1] -> [N,H,W,3] uint8 (clamped, rounded as in the header). */
export function nchwToNhwc(data: Float32Array, shape: BatchShape): Uint8Array {
  const plane = checkShape(data.length, shape, "nchwToNhwc input");
  const out = new Uint8Array(shape.batch * plane * 3);
  for (let n = 0; n < shape.batch; n++) {
    const base = n * plane * 3;
    for (let p = 0; p < plane; p++) {
      const d = base + p * 3;
      out[d] = unitToU8(data[base + p]!);
      out[d + 1] = unitToU8(data[base + plane + p]!);
      out[d + 2] = unitToU8(data[base + 2 * plane + p]!);
    }
  }
  return out;
}

/** One image -> [1,3,H,W] float32 in [-1,1]. */
export function rgbToNchw(img: RgbImage): Float32Array {
  assertRgbImage(img);
  return nhwcToNchw(img.data, { batch: 1, height: img.height, width: img.width });
}

/** [1,3,H,W] float32 in [-1,1] -> one image. */
export function nchwToRgb(data: Float32Array, width: number, height: number): RgbImage {
  return { width, height, data: nchwToNhwc(data, { batch: 1, height, width }) };
}

/** N same-sized images -> [N,3,H,W] float32 in [-1,1]. */
export function rgbBatchToNchw(images: readonly RgbImage[]): Float32Array {
  const first = images[0];
  if (first === undefined) throw new ImageShapeError("rgbBatchToNchw: empty batch");
  const { width, height } = first;
  const packed = new Uint8Array(images.length * width * height * 3);
  images.forEach((img, i) => {
    assertRgbImage(img, `batch image ${i}`);
    if (img.width !== width || img.height !== height) {
      throw new ImageShapeError(
        `rgbBatchToNchw: image ${i} is ${img.width}x${img.height}, image 0 is ${width}x${height}`,
      );
    }
    packed.set(img.data, i * width * height * 3);
  });
  return nhwcToNchw(packed, { batch: images.length, height, width });
}

/** [N,3,H,W] float32 in [-1,1] -> N images. */
export function nchwToRgbBatch(data: Float32Array, shape: BatchShape): RgbImage[] {
  const all = nchwToNhwc(data, shape);
  const size = shape.height * shape.width * 3;
  return Array.from({ length: shape.batch }, (_, n) => ({
    width: shape.width,
    height: shape.height,
    data: all.subarray(n * size, (n + 1) * size),
  }));
}

/** Validates the shape against an element count; returns H*W. */
function checkShape(length: number, shape: BatchShape, what: string): number {
  const { batch, height, width } = shape;
  if (![batch, height, width].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new ImageShapeError(`${what}: shape [${batch},${height},${width}] must be positive integers`);
  }
  const expected = batch * height * width * 3;
  if (length !== expected) {
    throw new ImageShapeError(
      `${what}: ${length} elements, shape [${batch},3,${height},${width}] needs ${expected}`,
    );
  }
  return height * width;
}
