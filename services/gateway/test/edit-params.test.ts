import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseEditParams } from "../src/edit-params.js";
import { RequestError } from "../src/request-errors.js";

const defaults = { steps: 20, guidanceScale: 2.5, imageGuidanceScale: 1.5 };
const limits = { maxInstructionChars: 50, maxSteps: 100, maxGuidanceScale: 30, defaultTimeoutMs: 60000, maxTimeoutMs: 120000 };
const img = new Uint8Array([1, 2, 3]);

const bad = (fields: Record<string, string | number | boolean | undefined>, field: string) =>
  assert.throws(
    () => parseEditParams(img, { instruction: "make it red", ...fields }, defaults, limits),
    (e: unknown) => e instanceof RequestError && e.status === 400 && e.message.startsWith(field),
    JSON.stringify(fields),
  );

describe("edit params", () => {
  test("edit params - defaults come from the model, the seed is random", () => {
    const a = parseEditParams(img, { instruction: "  make it red " }, defaults, limits);
    assert.equal(a.instruction, "make it red");
    assert.equal(a.steps, 20);
    assert.equal(a.guidanceScale, 2.5);
    assert.equal(a.outputFormat, "png");
    assert.equal(a.timeoutMs, 60000);
    assert.ok(Number.isInteger(a.seed) && a.seed >= 0 && a.seed <= 0xffffffff);
  });

  test("edit params - strings and numbers parse alike", () => {
    const a = parseEditParams(img, { instruction: "x", steps: "7", seed: 9, guidance_scale: "3.5", preserve_unedited: "true" }, defaults, limits);
    assert.deepEqual([a.steps, a.seed, a.guidanceScale, a.preserveUnedited], [7, 9, 3.5, true]);
  });

  test("edit params - every out-of-range or malformed field names itself", () => {
    bad({ steps: "0" }, "steps");
    bad({ steps: "101" }, "steps");
    bad({ steps: "1.5" }, "steps");
    bad({ steps: "" + "1e2" }, "steps");
    bad({ guidance_scale: "NaN" }, "guidance_scale");
    bad({ guidance_scale: "31" }, "guidance_scale");
    bad({ image_guidance_scale: "-0.1" }, "image_guidance_scale");
    bad({ seed: "4294967296" }, "seed");
    bad({ seed: "-1" }, "seed");
    bad({ output_format: "bmp" }, "output_format");
    bad({ timeout_ms: "0" }, "timeout_ms");
    bad({ timeout_ms: "120001" }, "timeout_ms");
    bad({ task: "Bad Task" }, "task");
    bad({ size: "huge" }, "size");
    bad({ preserve_unedited: "maybe" }, "preserve_unedited");
    bad({ instruction: "x".repeat(51) }, "instruction");
    bad({ instruction: "   " }, "instruction");
  });

  test("edit params - a missing or empty image is refused", () => {
    assert.throws(() => parseEditParams(undefined, { instruction: "x" }, defaults, limits), /image/);
    assert.throws(() => parseEditParams(new Uint8Array(0), { instruction: "x" }, defaults, limits), /image/);
  });
});
