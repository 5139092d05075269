// One validation of an edit's parameters for every entry point (multipart, JSON, gRPC): each
// field becomes a typed value or a 400 naming the field and the accepted range.
import { randomInt } from "node:crypto";
import { isOutputFormat, type OutputFormat } from "@emuedit/imaging";
import { badRequest } from "./request-errors.js";
import type { EditLimits } from "./settings.js";

export interface EditParams {
  readonly image: Uint8Array;
  readonly instruction: string;
  readonly task: string | undefined;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly imageGuidanceScale: number;
  readonly seed: number;
  readonly outputFormat: OutputFormat;
  readonly timeoutMs: number;
  /** Emu Edit's per-pixel thresholding: keep input pixels the edit did not change (multi-turn). */
  readonly preserveUnedited: boolean;
  /** "original": reply at the upload's size; "working": at the model's working size. */
  readonly size: "original" | "working";
}

/** Raw fields as they arrive: strings from forms, numbers/strings/booleans from JSON, undefined when absent. */
export type RawFields = Record<string, string | number | boolean | undefined>;

export interface ModelDefaults {
  readonly steps: number;
  readonly guidanceScale: number;
  readonly imageGuidanceScale: number;
}

export function parseEditParams(image: Uint8Array | undefined, f: RawFields, defaults: ModelDefaults, limits: EditLimits): EditParams {
  if (!image || image.length === 0) throw badRequest("image", "required (a PNG, JPEG or WebP file)");
  const instruction = typeof f.instruction === "string" ? f.instruction.trim() : undefined;
  if (!instruction) throw badRequest("instruction", "required and must not be empty");
  if (instruction.length > limits.maxInstructionChars) {
    throw badRequest("instruction", `at most ${limits.maxInstructionChars} characters, got ${instruction.length}`);
  }
  const task = optionalString(f.task, "task");
  if (task !== undefined && !/^[a-z0-9_-]{1,64}$/.test(task)) throw badRequest("task", "must match [a-z0-9_-]{1,64}");
  const format = optionalString(f.output_format, "output_format") ?? "png";
  if (!isOutputFormat(format)) throw badRequest("output_format", `must be png, jpeg or webp, got "${format}"`);
  const size = optionalString(f.size, "size") ?? "original";
  if (size !== "original" && size !== "working") throw badRequest("size", `must be "original" or "working", got "${size}"`);
  return {
    image,
    instruction,
    task,
    steps: int(f.steps, "steps", 1, limits.maxSteps) ?? defaults.steps,
    guidanceScale: num(f.guidance_scale, "guidance_scale", 0, limits.maxGuidanceScale) ?? defaults.guidanceScale,
    imageGuidanceScale: num(f.image_guidance_scale, "image_guidance_scale", 0, limits.maxGuidanceScale) ?? defaults.imageGuidanceScale,
    seed: int(f.seed, "seed", 0, 0xffffffff) ?? randomInt(0, 0xffffffff),
    outputFormat: format,
    timeoutMs: int(f.timeout_ms, "timeout_ms", 1, limits.maxTimeoutMs) ?? limits.defaultTimeoutMs,
    preserveUnedited: bool(f.preserve_unedited, "preserve_unedited") ?? false,
    size,
  };
}

function optionalString(v: RawFields[string], field: string): string | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw badRequest(field, "must be a string");
  return v.trim();
}

function num(v: RawFields[string], field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === "") return undefined;
  const x = typeof v === "number" ? v : typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(x)) throw badRequest(field, `must be a number, got ${JSON.stringify(v)}`);
  if (x < min || x > max) throw badRequest(field, `must be within ${min}..${max}, got ${x}`);
  return x;
}

function int(v: RawFields[string], field: string, min: number, max: number): number | undefined {
  if (v === undefined || v === "") return undefined;
  const x = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(x)) throw badRequest(field, `must be an integer, got ${JSON.stringify(v)}`);
  if (x < min || x > max) throw badRequest(field, `must be within ${min}..${max}, got ${x}`);
  return x;
}

function bool(v: RawFields[string], field: string): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw badRequest(field, `must be true or false, got ${JSON.stringify(v)}`);
}
