// Properties of parseEditSpec over arbitrary field values (fast-check): it returns a spec within
// the limits or throws an InvalidEditError naming a field, never anything else.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EmueditError, HTTP_STATUS } from "@emuedit/errors";
import { DEFAULT_EDIT_LIMITS, InvalidEditError, parseEditSpec } from "../src/index.js";

const FIELDS = ["instruction", "task", "steps", "guidance_scale", "image_guidance_scale", "seed", "output_format", "timeout_ms", "preserve_unedited", "size", "scheduler"];
const defaults = { steps: 20, guidanceScale: 7.5, imageGuidanceScale: 1.5 };
const limits = DEFAULT_EDIT_LIMITS;

/** Wire-shaped values: what multipart (strings), JSON (any) and gRPC (numbers, strings, booleans) deliver. */
const value = fc.oneof(
  fc.string(),
  fc.constantFrom("", " ", "1", "0", "-1", "150", "151", "1e3", "NaN", "Infinity", "png", "jpeg", "original", "working", "true", "false", "0x10", "4294967296"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

describe("edit spec properties", () => {
  test("parseEditSpec - any fields: a spec within the limits, or a 400 naming a field", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...FIELDS), value), (raw) => {
        let spec;
        try {
          spec = parseEditSpec(raw, { defaults, limits });
        } catch (err) {
          assert.ok(err instanceof InvalidEditError, `not an InvalidEditError: ${String(err)}`);
          assert.ok(err instanceof EmueditError && HTTP_STATUS[err.status] === 400);
          assert.ok(FIELDS.includes(err.field), err.field);
          assert.ok(err.message.startsWith(`${err.field}: `), err.message);
          return;
        }
        assert.ok(spec.instruction.length >= 1 && spec.instruction.length <= limits.maxInstructionChars);
        assert.ok(Number.isInteger(spec.sampling.steps) && spec.sampling.steps >= 1 && spec.sampling.steps <= limits.maxSteps);
        assert.ok(Number.isInteger(spec.sampling.seed) && spec.sampling.seed >= 0 && spec.sampling.seed <= 4294967295);
        assert.ok(spec.sampling.guidanceScale >= 0 && spec.sampling.guidanceScale <= limits.maxGuidanceScale);
        assert.ok(spec.timeoutMs >= 1 && spec.timeoutMs <= limits.maxTimeoutMs);
      }),
      { numRuns: 2000 },
    );
  });
});
