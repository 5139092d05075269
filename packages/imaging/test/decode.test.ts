import { test, describe } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import {
  DEFAULT_IMAGE_LIMITS,
  ImageDecodeError,
  ImageEmptyError,
  ImageFormatError,
  ImageTooLargeError,
  ImagingError,
  decodeImage,
} from "../src/index.js";
import { gradient, noiseBytes, pixel, pngDeclaring, solid, toSharp } from "./images.js";

const limits = DEFAULT_IMAGE_LIMITS;

/** The rejection reason of `p`; fails the test when `p` resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

describe("decode", () => {
  test("decode - png round trips pixels exactly and reports the format", async () => {
    const img = gradient(33, 17);
    const decoded = await decodeImage(await toSharp(img).png().toBuffer(), limits);
    assert.equal(decoded.format, "png");
    assert.equal(decoded.width, 33);
    assert.equal(decoded.height, 17);
    assert.deepEqual(decoded.data, img.data);
  });

  for (const format of ["jpeg", "webp", "tiff", "avif"] as const) {
    test(`decode - ${format} decodes to RGB close to the source`, async () => {
      const img = solid(16, 8, [200, 40, 90]);
      const bytes = await toSharp(img).toFormat(format, { quality: 95 }).toBuffer();
      const decoded = await decodeImage(bytes, limits);
      assert.equal(decoded.format, format);
      assert.equal(decoded.data.length, 16 * 8 * 3);
      const [r, g, b] = pixel(decoded, 8, 4);
      assert.ok(Math.abs(r - 200) < 8 && Math.abs(g - 40) < 8 && Math.abs(b - 90) < 8, `${r},${g},${b}`);
    });
  }

  test("decode - animated gif gives the first frame only", async () => {
    const red = solid(8, 4, [255, 0, 0]).data;
    const blue = solid(8, 4, [0, 0, 255]).data;
    const tall = Buffer.concat([red, blue]);
    const gif = await sharp(tall, { raw: { width: 8, height: 8, channels: 3, pageHeight: 4 } }).gif().toBuffer();
    const decoded = await decodeImage(gif, limits);
    assert.equal(decoded.format, "gif");
    assert.equal(decoded.height, 4);
    assert.deepEqual(pixel(decoded, 3, 3), [255, 0, 0]);
  });

  test("decode - EXIF orientation 6 is applied (rotated 90 degrees clockwise)", async () => {
    // Stored 40x20: left half red, right half blue. Displayed 20x40: top red, bottom blue.
    const stored = solid(40, 20, [0, 0, 255]);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) stored.data.set([255, 0, 0], (y * 40 + x) * 3);
    const bytes = await toSharp(stored).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await sharp(bytes).metadata()).orientation, 6);
    const decoded = await decodeImage(bytes, limits);
    assert.equal(decoded.width, 20);
    assert.equal(decoded.height, 40);
    const top = pixel(decoded, 10, 5);
    const bottom = pixel(decoded, 10, 35);
    assert.ok(top[0] > 200 && top[2] < 50, `top ${top}`);
    assert.ok(bottom[2] > 200 && bottom[0] < 50, `bottom ${bottom}`);
  });

  test("decode - alpha is flattened onto white", async () => {
    const rgba = new Uint8Array(4 * 2 * 4);
    rgba.set([0, 0, 0, 0], 0); // fully transparent black -> white
    rgba.set([255, 0, 0, 255], 4); // opaque red stays red
    rgba.set([255, 0, 0, 128], 8); // half red over white -> pink
    const png = await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } }).png().toBuffer();
    const decoded = await decodeImage(png, limits);
    assert.equal(decoded.data.length, 4 * 2 * 3);
    assert.deepEqual(pixel(decoded, 0, 0), [255, 255, 255]);
    assert.deepEqual(pixel(decoded, 1, 0), [255, 0, 0]);
    const [r, g, b] = pixel(decoded, 2, 0);
    assert.equal(r, 255);
    assert.ok(Math.abs(g - 127) <= 1 && g === b, `${g},${b}`);
  });

  test("decode - greyscale and 16-bit inputs become 8-bit RGB", async () => {
    const grey = await toSharp(solid(4, 4, [90, 90, 90])).toColourspace("b-w").png().toBuffer();
    assert.equal((await sharp(grey).metadata()).channels, 1);
    assert.deepEqual(pixel(await decodeImage(grey, limits), 1, 1), [90, 90, 90]);
    const deep = await toSharp(solid(4, 4, [10, 128, 250])).toColourspace("rgb16").png().toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, "ushort");
    const decoded = await decodeImage(deep, limits);
    assert.equal(decoded.data.length, 4 * 4 * 3);
    assert.deepEqual(pixel(decoded, 2, 2), [10, 128, 250]);
  });

  test("decode - zero-byte body is ImageEmptyError", async () => {
    const err = await rejection(decodeImage(new Uint8Array(0), limits));
    assert.ok(err instanceof ImageEmptyError, String(err));
    assert.ok(err instanceof ImagingError, "one family");
    assert.equal(err.code, "empty_image");
  });

  test("decode - random bytes are ImageDecodeError (invalid_image)", async () => {
    const err = await rejection(decodeImage(noiseBytes(4096), limits));
    assert.ok(err instanceof ImageDecodeError, String(err));
    assert.equal(err.code, "invalid_image");
    assert.ok(err.cause instanceof Error, "sharp's error is attached as cause");
  });

  test("decode - truncated png is ImageDecodeError", async () => {
    const noise = noiseBytes(64 * 64 * 3, 7);
    const png = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    await assert.rejects(decodeImage(png.subarray(0, png.length >> 1), limits), ImageDecodeError);
  });

  test("decode - truncated jpeg is ImageDecodeError", async () => {
    const jpeg = await toSharp(gradient(64, 64)).jpeg().toBuffer();
    await assert.rejects(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.9)), limits), ImageDecodeError);
  });

  test("decode - a png declaring 100000x100000 is refused from its header, quickly", async () => {
    const bomb = pngDeclaring(100_000, 100_000);
    assert.ok(bomb.length < 200, "a tiny body");
    const started = performance.now();
    const err = await rejection(decodeImage(bomb, limits));
    assert.ok(err instanceof ImageTooLargeError, String(err));
    assert.equal(err.code, "image_too_large");
    assert.equal(err.limitKind, "pixels");
    assert.equal(err.actual, 1e10);
    assert.equal(err.limit, limits.maxInputPixels);
    assert.ok(performance.now() - started < 1000, "refused without decoding");
  });

  test("decode - maxInputPixels is honoured exactly", async () => {
    const png = await toSharp(gradient(10, 10)).png().toBuffer();
    await decodeImage(png, { ...limits, maxInputPixels: 100 });
    await assert.rejects(decodeImage(png, { ...limits, maxInputPixels: 99 }), ImageTooLargeError);
  });

  test("decode - body over maxInputBytes is ImageTooLargeError before any parsing", async () => {
    const err = await rejection(decodeImage(noiseBytes(2048), { ...limits, maxInputBytes: 1024 }));
    assert.ok(err instanceof ImageTooLargeError, String(err));
    assert.equal(err.limitKind, "bytes");
    assert.equal(err.actual, 2048);
  });

  test("decode - svg is refused as an unsupported format", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const err = await rejection(decodeImage(svg, limits));
    assert.ok(err instanceof ImageFormatError, String(err));
    assert.equal(err.code, "unsupported_image_format");
    assert.equal(err.format, "svg");
  });

  test("decode - bmp (known to us, not to libvips) is an unsupported format", async () => {
    const bmp = Buffer.concat([Buffer.from("BM"), Buffer.from(noiseBytes(200).subarray(2))]);
    const err = await rejection(decodeImage(bmp, limits));
    assert.ok(err instanceof ImageFormatError, String(err));
    assert.equal(err.format, "bmp");
  });

  test("decode - a format left out of limits.formats is refused", async () => {
    const webp = await toSharp(gradient(8, 8)).webp().toBuffer();
    await assert.rejects(decodeImage(webp, { ...limits, formats: ["png", "jpeg"] }), ImageFormatError);
  });
});
