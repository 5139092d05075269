import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ImageArgumentError, ImageEmptyError, planResize, resizeRgb } from "../src/index.js";
import { gradient, pixel, solid } from "./images.js";

describe("planResize", () => {
  const cases: Array<[string, [number, number], { resolution: number; multipleOf: number; maxSide?: number }, [number, number]]> = [
    ["square downscale", [1024, 1024], { resolution: 64, multipleOf: 4 }, [64, 64]],
    ["square upscale", [20, 20], { resolution: 64, multipleOf: 4 }, [64, 64]],
    ["landscape keeps aspect", [1920, 1080], { resolution: 512, multipleOf: 8 }, [512, 288]],
    ["portrait keeps aspect", [1080, 1920], { resolution: 512, multipleOf: 8 }, [288, 512]],
    // 640x480 -> 512x384 exactly; 4:3 at 64 with f=8 -> 64x48.
    ["4:3 at 512", [640, 480], { resolution: 512, multipleOf: 8 }, [512, 384]],
    ["4:3 at 64", [640, 480], { resolution: 64, multipleOf: 8 }, [64, 48]],
    // 1000x333 at 64: short = 21.3 -> rounds to 20 (f=4), not 24.
    ["short side rounds to nearest multiple", [1000, 333], { resolution: 64, multipleOf: 4 }, [64, 20]],
    ["extreme aspect keeps at least f", [10000, 10], { resolution: 64, multipleOf: 8 }, [64, 8]],
    ["resolution not a multiple of f rounds down", [300, 300], { resolution: 100, multipleOf: 8 }, [96, 96]],
    ["maxSide caps the working size", [1024, 768], { resolution: 512, multipleOf: 8, maxSide: 256 }, [256, 192]],
    ["maxSide above resolution changes nothing", [1024, 768], { resolution: 512, multipleOf: 8, maxSide: 4096 }, [512, 384]],
    ["1x1 input", [1, 1], { resolution: 64, multipleOf: 4 }, [64, 64]],
  ];
  for (const [name, [width, height], policy, [ew, eh]] of cases) {
    test(`planResize - ${name}`, () => {
      const out = planResize({ width, height }, policy);
      assert.deepEqual(out, { width: ew, height: eh });
      assert.equal(out.width % policy.multipleOf, 0);
      assert.equal(out.height % policy.multipleOf, 0);
    });
  }

  test("planResize - zero-size input is ImageEmptyError", () => {
    assert.throws(() => planResize({ width: 0, height: 10 }, { resolution: 64, multipleOf: 8 }), ImageEmptyError);
  });

  test("planResize - invalid policy values are ImageArgumentError", () => {
    const size = { width: 10, height: 10 };
    assert.throws(() => planResize(size, { resolution: 64, multipleOf: 0 }), ImageArgumentError);
    assert.throws(() => planResize(size, { resolution: 64.5, multipleOf: 8 }), ImageArgumentError);
    assert.throws(() => planResize(size, { resolution: 64, multipleOf: 8, maxSide: -1 }), ImageArgumentError);
    assert.throws(() => planResize({ width: 1.5, height: 2 }, { resolution: 64, multipleOf: 8 }), ImageArgumentError);
  });
});

describe("resizeRgb", () => {
  test("resizeRgb - produces exactly the requested size (fill, no crop)", async () => {
    const out = await resizeRgb(gradient(100, 50), 64, 24);
    assert.equal(out.width, 64);
    assert.equal(out.height, 24);
    assert.equal(out.data.length, 64 * 24 * 3);
    // Corners survive a fill resize (a crop or pad would move them).
    const [r0, g0] = pixel(out, 0, 0);
    const [r1, g1] = pixel(out, 63, 23);
    assert.ok(r0 < 10 && g0 < 15, `top-left ${r0},${g0}`);
    assert.ok(r1 > 245 && g1 > 240, `bottom-right ${r1},${g1}`);
  });

  test("resizeRgb - a solid colour stays that colour up and down", async () => {
    const img = solid(10, 6, [12, 200, 99]);
    for (const [w, h] of [[40, 24], [3, 2]] as const) {
      const out = await resizeRgb(img, w, h);
      for (let p = 0; p < w * h; p++) assert.deepEqual([...out.data.subarray(p * 3, p * 3 + 3)], [12, 200, 99]);
    }
  });

  test("resizeRgb - same size returns the image unchanged", async () => {
    const img = gradient(8, 8);
    assert.equal(await resizeRgb(img, 8, 8), img);
  });

  test("resizeRgb - bad target size is ImageArgumentError", async () => {
    await assert.rejects(resizeRgb(gradient(8, 8), 0, 8), ImageArgumentError);
  });
});
