import { test, describe } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import {
  DEFAULT_IMAGE_LIMITS,
  ImageArgumentError,
  ImageFormatError,
  ImageShapeError,
  decodeImage,
  encodeImage,
  parseOutputFormat,
} from "../src/index.js";
import type { OutputFormat } from "../src/index.js";
import { gradient } from "./images.js";

/** Mean absolute error per channel value, 0-255 units. */
function meanAbsError(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe("encode", () => {
  const img = gradient(48, 32);
  const expected: Array<[OutputFormat, string, number]> = [
    ["png", "image/png", 0],
    ["jpeg", "image/jpeg", 3],
    ["webp", "image/webp", 8], // lossy WebP is always 4:2:0 chroma
  ];
  for (const [format, mime, maxError] of expected) {
    test(`encode - ${format} round trips through decodeImage`, async () => {
      const out = await encodeImage(img, format);
      assert.equal(out.mimeType, mime);
      assert.equal((await sharp(out.bytes).metadata()).format, format);
      const back = await decodeImage(out.bytes, DEFAULT_IMAGE_LIMITS);
      assert.equal(back.format, format);
      assert.equal(back.width, 48);
      assert.equal(back.height, 32);
      const err = meanAbsError(back.data, img.data);
      assert.ok(err <= maxError, `mean abs error ${err} > ${maxError}`);
    });
  }

  test("encode - resizeTo returns the requested (original) size", async () => {
    const out = await encodeImage(img, "png", { resizeTo: { width: 97, height: 61 } });
    assert.equal(out.width, 97);
    assert.equal(out.height, 61);
    const meta = await sharp(out.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [97, 61]);
  });

  test("encode - lower quality gives smaller jpeg", async () => {
    const hi = await encodeImage(gradient(128, 128), "jpeg", { quality: 95 });
    const lo = await encodeImage(gradient(128, 128), "jpeg", { quality: 30 });
    assert.ok(lo.bytes.length < hi.bytes.length, `${lo.bytes.length} >= ${hi.bytes.length}`);
  });

  test("encode - bad arguments are refused", async () => {
    await assert.rejects(encodeImage(img, "gif" as OutputFormat), ImageFormatError);
    await assert.rejects(encodeImage(img, "jpeg", { quality: 0 }), ImageArgumentError);
    await assert.rejects(encodeImage({ width: 2, height: 2, data: new Uint8Array(5) }, "png"), ImageShapeError);
  });

  test("encode - parseOutputFormat accepts the documented names", () => {
    assert.equal(parseOutputFormat(""), "png");
    assert.equal(parseOutputFormat("JPG"), "jpeg");
    assert.equal(parseOutputFormat("webp"), "webp");
    assert.throws(() => parseOutputFormat("bmp"), ImageFormatError);
  });
});
