// The edit contract: one typed EditSpec, its limits, and the one parser every wire edge runs
// (gateway: multipart, JSON and gRPC EditRequest; unet: the sampling part of DenoiseRequest).
// A new edit parameter is a field here, in the proto, and in the code that reads it.
import { randomInt } from "node:crypto";
import { isOutputFormat, InputFormat, type OutputFormat } from "@emuedit/imaging";
import { InvalidEditError } from "./errors.js";

/** How the denoiser samples: the part of an edit the unet service receives. */
export interface Sampling {
  readonly steps: number;
  /** Text guidance s_T (InstructPix2Pix). */
  readonly guidanceScale: number;
  /** Image guidance s_I. */
  readonly imageGuidanceScale: number;
  /** uint32; the initial noise and every ancestral step's noise are pure functions of it. */
  readonly seed: number;
  /** A diffusers scheduler class overriding the package's; undefined keeps the package's. */
  readonly scheduler?: string;
}

export type OutputSize = "original" | "working";

export interface EditOutputSpec {
  readonly format: OutputFormat;
  /** "original": reply at the upload's size; "working": at the model's working size. */
  readonly size: OutputSize;
  /** Emu Edit's per-pixel thresholding: keep input pixels the edit did not change (multi-turn). */
  readonly preserveUnedited: boolean;
}

/** A validated edit request (everything but the image bytes). */
export interface EditSpec {
  readonly instruction: string;
  /** A task name, or undefined: predict it from the instruction. */
  readonly task: string | undefined;
  readonly sampling: Sampling;
  readonly output: EditOutputSpec;
  /** The edit's deadline, ms from its arrival. */
  readonly timeoutMs: number;
}

export interface SamplingLimits {
  readonly maxSteps: number;
  readonly maxGuidanceScale: number;
}

export interface EditLimits extends SamplingLimits {
  readonly maxInstructionChars: number;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

/** The defaults of the limit settings (EMUEDIT_MAX_STEPS, ...; docs/operations.md). */
export const DEFAULT_EDIT_LIMITS: EditLimits = {
  maxSteps: 150,
  maxGuidanceScale: 30,
  maxInstructionChars: 1000,
  defaultTimeoutMs: 60_000,
  maxTimeoutMs: 300_000,
};

/** The model package's sampling defaults (emuedit.json default_steps, ...). */
export interface SamplingDefaults {
  readonly steps: number;
  readonly guidanceScale: number;
  readonly imageGuidanceScale: number;
}

export const SEED_MAX = 0xffff_ffff;
export const TASK_NAME = /^[a-z0-9_-]{1,64}$/;

/** Raw fields as they arrive: strings from forms, numbers/strings/booleans from JSON, undefined when absent. */
export type RawFields = Readonly<Record<string, unknown>>;

/** Every input format a request may upload, for messages. */
const IMAGE_FORMATS = Object.values(InputFormat)
  .map((f) => f.toUpperCase())
  .join(", ");

/** The uploaded image's bytes: present and not empty (decoding checks the rest). */
export function parseEditImage(image: Uint8Array | undefined): Uint8Array {
  if (!image) throw new InvalidEditError("image", `required: a file in one of ${IMAGE_FORMATS}`);
  if (image.length === 0) throw new InvalidEditError("image", "the file is empty (0 bytes)", "empty_image");
  return image;
}

/** Raw request fields -> EditSpec, or an InvalidEditError naming the field and what it accepts. */
export function parseEditSpec(raw: RawFields, ctx: { readonly defaults: SamplingDefaults; readonly limits: EditLimits }): EditSpec {
  const { defaults, limits } = ctx;
  const instruction = text(raw, "instruction")?.trim();
  if (!instruction) throw new InvalidEditError("instruction", "required: a non-empty string");
  if (instruction.length > limits.maxInstructionChars) {
    throw new InvalidEditError("instruction", `at most ${limits.maxInstructionChars} characters, got ${instruction.length}`);
  }
  const task = text(raw, "task")?.trim() || undefined;
  if (task !== undefined && !TASK_NAME.test(task)) throw new InvalidEditError("task", `must match ${TASK_NAME.source}, got ${JSON.stringify(task)}`);
  const format = text(raw, "output_format")?.trim() || "png";
  if (!isOutputFormat(format)) throw new InvalidEditError("output_format", `must be png, jpeg or webp, got ${JSON.stringify(format)}`);
  const size = text(raw, "size")?.trim() || "original";
  if (size !== "original" && size !== "working") throw new InvalidEditError("size", `must be "original" or "working", got ${JSON.stringify(size)}`);
  return {
    instruction,
    task,
    sampling: {
      steps: integer(raw, "steps", 1, limits.maxSteps) ?? defaults.steps,
      guidanceScale: number(raw, "guidance_scale", 0, limits.maxGuidanceScale) ?? defaults.guidanceScale,
      imageGuidanceScale: number(raw, "image_guidance_scale", 0, limits.maxGuidanceScale) ?? defaults.imageGuidanceScale,
      seed: integer(raw, "seed", 0, SEED_MAX) ?? randomInt(0, SEED_MAX),
    },
    output: { format, size, preserveUnedited: boolean(raw, "preserve_unedited") ?? false },
    timeoutMs: integer(raw, "timeout_ms", 1, limits.maxTimeoutMs) ?? limits.defaultTimeoutMs,
  };
}

/**
 * The sampling fields of a denoise request, all required (the gateway always sends them), checked
 * with the same ranges as parseEditSpec: the unet service's wire edge.
 */
export function parseSampling(raw: RawFields, limits: SamplingLimits): Sampling {
  const need = <T>(field: string, v: T | undefined): T => {
    if (v === undefined) throw new InvalidEditError(field, "required");
    return v;
  };
  const scheduler = text(raw, "scheduler")?.trim() || undefined;
  return {
    steps: need("steps", integer(raw, "steps", 1, limits.maxSteps)),
    guidanceScale: need("guidance_scale", number(raw, "guidance_scale", 0, limits.maxGuidanceScale)),
    imageGuidanceScale: need("image_guidance_scale", number(raw, "image_guidance_scale", 0, limits.maxGuidanceScale)),
    seed: need("seed", integer(raw, "seed", 0, SEED_MAX)),
    ...(scheduler ? { scheduler } : {}),
  };
}

const absent = (v: unknown) => v === undefined || v === null || v === "";

function text(raw: RawFields, field: string): string | undefined {
  const v = raw[field];
  if (absent(v)) return undefined;
  if (typeof v !== "string") throw new InvalidEditError(field, `must be a string, got ${describe(v)}`);
  return v;
}

function integer(raw: RawFields, field: string, min: number, max: number): number | undefined {
  const v = raw[field];
  if (absent(v)) return undefined;
  const x = typeof v === "number" ? v : typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(x) || x < min || x > max) throw new InvalidEditError(field, `must be an integer in ${min}..${max}, got ${describe(v)}`);
  return x;
}

function number(raw: RawFields, field: string, min: number, max: number): number | undefined {
  const v = raw[field];
  if (absent(v)) return undefined;
  const x = typeof v === "number" ? v : typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(x) || x < min || x > max) throw new InvalidEditError(field, `must be a number in ${min}..${max}, got ${describe(v)}`);
  return x;
}

function boolean(raw: RawFields, field: string): boolean | undefined {
  const v = raw[field];
  if (absent(v)) return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new InvalidEditError(field, `must be true or false, got ${describe(v)}`);
}

/** A value as a person reads it in an error message: strings quoted, the rest as JSON (bounded). */
function describe(v: unknown): string {
  const s = typeof v === "number" ? String(v) : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
