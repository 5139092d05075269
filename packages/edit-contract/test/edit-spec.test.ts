import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EmueditError, Status } from "@emuedit/errors";
import { InvalidEditError, parseEditImage, parseEditSpec, parseSampling } from "../src/index.js";

const defaults = { steps: 20, guidanceScale: 2.5, imageGuidanceScale: 1.5 };
const limits = { maxInstructionChars: 50, maxSteps: 100, maxGuidanceScale: 30, defaultTimeoutMs: 60000, maxTimeoutMs: 120000 };
const parse = (fields: Record<string, unknown>) => parseEditSpec({ instruction: "make it red", ...fields }, { defaults, limits });

/** The refusal names the field first and says what it accepts. */
const refused = (fields: Record<string, unknown>, message: string | RegExp) =>
  assert.throws(
    () => parse(fields),
    (e: unknown) => {
      assert.ok(e instanceof InvalidEditError, String(e));
      assert.equal(e.status, Status.InvalidArgument);
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
    JSON.stringify(fields),
  );

describe("edit spec", () => {
  test("edit spec - defaults come from the model and the limits, the seed is random", () => {
    const a = parseEditSpec({ instruction: "  make it red " }, { defaults, limits });
    assert.equal(a.instruction, "make it red");
    assert.equal(a.task, undefined);
    assert.deepEqual({ ...a.sampling, seed: 0 }, { steps: 20, guidanceScale: 2.5, imageGuidanceScale: 1.5, seed: 0 });
    assert.deepEqual(a.output, { format: "png", size: "original", preserveUnedited: false });
    assert.equal(a.timeoutMs, 60000);
    assert.ok(Number.isInteger(a.sampling.seed) && a.sampling.seed >= 0 && a.sampling.seed <= 0xffffffff);
  });

  test("edit spec - strings from forms and numbers from JSON parse alike", () => {
    const a = parse({ steps: "7", seed: 9, guidance_scale: "3.5", image_guidance_scale: 0, preserve_unedited: "true", task: "remove" });
    assert.deepEqual([a.sampling.steps, a.sampling.seed, a.sampling.guidanceScale, a.sampling.imageGuidanceScale, a.output.preserveUnedited, a.task], [7, 9, 3.5, 0, true, "remove"]);
  });

  test("edit spec - a number out of range or malformed names the field and the range", () => {
    refused({ steps: "0" }, "steps: must be an integer in 1..100, got \"0\"");
    refused({ steps: "-3" }, "steps: must be an integer in 1..100, got \"-3\"");
    refused({ steps: -3 }, "steps: must be an integer in 1..100, got -3");
    refused({ steps: "101" }, /steps: must be an integer in 1\.\.100/);
    refused({ steps: "1.5" }, /steps: must be an integer in 1\.\.100/);
    refused({ steps: 4.5 }, "steps: must be an integer in 1..100, got 4.5");
    refused({ steps: "1e2" }, /steps: must be an integer in 1\.\.100/);
    refused({ guidance_scale: "NaN" }, "guidance_scale: must be a number in 0..30, got \"NaN\"");
    refused({ guidance_scale: "31" }, /guidance_scale: must be a number in 0\.\.30/);
    refused({ image_guidance_scale: "-0.1" }, /image_guidance_scale: must be a number in 0\.\.30/);
    refused({ seed: "4294967296" }, /seed: must be an integer in 0\.\.4294967295/);
    refused({ seed: "-1" }, "seed: must be an integer in 0..4294967295, got \"-1\"");
    refused({ seed: -1 }, "seed: must be an integer in 0..4294967295, got -1");
    refused({ timeout_ms: "0" }, /timeout_ms: must be an integer in 1\.\.120000/);
    refused({ timeout_ms: "120001" }, /timeout_ms: must be an integer in 1\.\.120000/);
  });

  test("edit spec - words and types name what is accepted", () => {
    refused({ output_format: "bmp" }, "output_format: must be png, jpeg or webp, got \"bmp\"");
    refused({ task: "Bad Task" }, /^task: must match/);
    refused({ size: "huge" }, /^size: must be "original" or "working"/);
    refused({ preserve_unedited: "maybe" }, "preserve_unedited: must be true or false, got \"maybe\"");
    refused({ instruction: "x".repeat(51) }, "instruction: at most 50 characters, got 51");
    refused({ instruction: "   " }, "instruction: required: a non-empty string");
    refused({ instruction: 42 }, "instruction: must be a string, got 42");
    refused({ task: ["remove"] }, "task: must be a string, got [\"remove\"]");
    refused({ steps: true }, "steps: must be an integer in 1..100, got true");
  });

  test("edit spec - a missing image lists every accepted format, an empty one is empty_image", () => {
    assert.throws(() => parseEditImage(undefined), (e: unknown) => {
      assert.ok(e instanceof EmueditError);
      assert.equal(e.code, "invalid_argument");
      assert.equal(e.message, "image: required: a file in one of PNG, JPEG, WEBP, GIF, TIFF, AVIF");
      return true;
    });
    assert.throws(() => parseEditImage(new Uint8Array(0)), (e: unknown) => {
      assert.ok(e instanceof EmueditError);
      assert.equal(e.code, "empty_image");
      assert.equal(e.status, Status.InvalidArgument);
      return true;
    });
    assert.equal(parseEditImage(new Uint8Array([1])).length, 1);
  });

  test("edit spec - the denoiser's edge checks the same ranges, with nothing defaulted", () => {
    const ok = parseSampling({ steps: 4, guidance_scale: 0, image_guidance_scale: 1.5, seed: 0, scheduler: "" }, limits);
    assert.deepEqual(ok, { steps: 4, guidanceScale: 0, imageGuidanceScale: 1.5, seed: 0 });
    assert.equal(parseSampling({ steps: 4, guidance_scale: 1, image_guidance_scale: 1, seed: 1, scheduler: "DDIMScheduler" }, limits).scheduler, "DDIMScheduler");
    assert.throws(() => parseSampling({ steps: 0, guidance_scale: 1, image_guidance_scale: 1, seed: 1 }, limits), /^InvalidEditError: steps: must be an integer in 1\.\.100, got 0$/);
    assert.throws(() => parseSampling({ steps: 4, guidance_scale: 31, image_guidance_scale: 1, seed: 1 }, limits), /guidance_scale: must be a number in 0\.\.30/);
    assert.throws(() => parseSampling({ steps: 4, image_guidance_scale: 1, seed: 1 }, limits), /guidance_scale: required/);
  });
});
