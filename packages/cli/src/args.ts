// Command-line parsing (node's util.parseArgs): argv -> a Command, or a UsageError.

import { extname } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";
import { parseKeys, type KeysCommand } from "./keys-args.js";
import { natsUrl, type Env } from "./nats-url.js";

export const DEFAULT_SERVER = "127.0.0.1:50051";
/** An edit on a CPU-only deployment can take minutes (model load, queueing, 50 steps). */
export const DEFAULT_EDIT_TIMEOUT_MS = 300_000;
export const DEFAULT_TASKS_TIMEOUT_MS = 10_000;
/** Environment variable overriding DEFAULT_SERVER. */
export const SERVER_ENV = "EMUEDIT_SERVER";

export const OutputFormat = { png: "png", jpeg: "jpeg", webp: "webp" } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export interface EditCommand {
  readonly kind: "edit";
  readonly image: string;
  readonly instruction: string;
  readonly output: string;
  /** "" = let the server predict the task from the instruction. */
  readonly task: string;
  readonly steps: number | undefined;
  readonly seed: number | undefined;
  readonly guidanceScale: number | undefined;
  readonly imageGuidanceScale: number | undefined;
  readonly format: OutputFormat;
  /** Keep the input's pixels where the edit barely changed them (per-pixel thresholding). */
  readonly preserveUnedited: boolean;
  /** "original": the result at the input's size; "working": at the model's working size. */
  readonly size: OutputSize;
  readonly server: string;
  readonly timeoutMs: number;
  /** $EMUEDIT_API_KEY (an environment variable, so the key stays out of process listings). */
  readonly apiKey?: string;
}

export const OutputSize = { original: "original", working: "working" } as const;
export type OutputSize = (typeof OutputSize)[keyof typeof OutputSize];

export interface TasksCommand {
  readonly kind: "tasks";
  readonly server: string;
  readonly timeoutMs: number;
  /** $EMUEDIT_API_KEY (an environment variable, so the key stays out of process listings). */
  readonly apiKey?: string;
}

export interface RegisterTaskCommand {
  readonly kind: "register-task";
  /** A tasks.json-shaped entry: {id, name, group, description, examples, embedding}. */
  readonly entry: string;
  readonly nats: string;
  /** Print {"bucket","key","revision"} as one JSON line (for scripts, e.g. training/invert.py). */
  readonly json: boolean;
}

export type HelpTopic = "edit" | "tasks" | "register-task" | "keys";

export interface HelpCommand {
  readonly kind: "help";
  readonly topic: HelpTopic | undefined;
}

export type Command = EditCommand | TasksCommand | RegisterTaskCommand | KeysCommand | HelpCommand;

export { DEFAULT_NATS_URL } from "./nats-url.js";
export type { Env } from "./nats-url.js";

const COMMON_OPTIONS = {
  server: { type: "string" },
  "timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const EDIT_OPTIONS = {
  ...COMMON_OPTIONS,
  output: { type: "string", short: "o" },
  task: { type: "string" },
  steps: { type: "string" },
  seed: { type: "string" },
  guidance: { type: "string" },
  "image-guidance": { type: "string" },
  format: { type: "string" },
  "preserve-unedited": { type: "boolean" },
  size: { type: "string" },
} as const;

export function parseCommand(argv: readonly string[], env: Env = {}): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError("no command given");
    case "help":
    case "-h":
    case "--help":
      return { kind: "help", topic: helpTopic(rest[0]) };
    case "edit":
      return parseEdit(rest, env);
    case "tasks":
      return parseTasks(rest, env);
    case "register-task":
      return parseRegisterTask(rest, env);
    case "keys":
      return parseKeys(rest, env);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function helpTopic(word: string | undefined): HelpCommand["topic"] {
  return word === "edit" || word === "tasks" || word === "register-task" || word === "keys" ? word : undefined;
}

function parseRegisterTask(args: readonly string[], env: Env): RegisterTaskCommand | HelpCommand {
  const { values, positionals } = parse(args, { nats: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const);
  if (values.help) return { kind: "help", topic: "register-task" };
  if (positionals.length !== 1) throw new UsageError(`register-task takes one <entry.json>, got ${positionals.length} argument(s)`);
  return { kind: "register-task", entry: positionals[0]!, nats: natsUrl(values.nats, env), json: values.json ?? false };
}


function parseEdit(args: readonly string[], env: Env): EditCommand | HelpCommand {
  const { values, positionals } = parse(args, EDIT_OPTIONS);
  if (values.help) return { kind: "help", topic: "edit" };
  if (positionals.length !== 2) {
    throw new UsageError(`edit takes <image> and "<instruction>", got ${positionals.length} argument(s)`);
  }
  const [image = "", instruction = ""] = positionals;
  if (instruction.trim() === "") throw new UsageError("the instruction is empty");
  const output = values.output;
  if (output === undefined || output === "") throw new UsageError("-o <output file> is required");
  return {
    kind: "edit",
    image,
    instruction,
    output,
    task: values.task?.trim() ?? "",
    // Only the server knows its limit (EMUEDIT_MAX_STEPS); it answers a step count over it with the range.
    steps: optional(values.steps, (v) => integer("--steps", v, 1, 2 ** 32 - 1)),
    seed: optional(values.seed, (v) => integer("--seed", v, 0, 2 ** 32 - 1)),
    guidanceScale: optional(values.guidance, (v) => nonNegative("--guidance", v)),
    imageGuidanceScale: optional(values["image-guidance"], (v) => nonNegative("--image-guidance", v)),
    format: outputFormat(values.format, output),
    preserveUnedited: values["preserve-unedited"] ?? false,
    size: outputSize(values.size),
    server: server(values.server, env),
    timeoutMs: timeout(values["timeout-ms"], DEFAULT_EDIT_TIMEOUT_MS),
    ...apiKey(env),
  };
}

function parseTasks(args: readonly string[], env: Env): TasksCommand | HelpCommand {
  const { values, positionals } = parse(args, COMMON_OPTIONS);
  if (values.help) return { kind: "help", topic: "tasks" };
  if (positionals.length > 0) throw new UsageError(`tasks takes no arguments, got "${positionals.join(" ")}"`);
  return {
    kind: "tasks",
    server: server(values.server, env),
    timeoutMs: timeout(values["timeout-ms"], DEFAULT_TASKS_TIMEOUT_MS),
    ...apiKey(env),
  };
}

function apiKey(env: Env): { apiKey?: string } {
  const key = env.EMUEDIT_API_KEY?.trim();
  return key ? { apiKey: key } : {};
}

type OptionsConfig = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parse<O extends OptionsConfig>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and readable messages.
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

function optional<T>(value: string | undefined, convert: (v: string) => T): T | undefined {
  return value === undefined ? undefined : convert(value);
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got "${value}"`);
  }
  return n;
}

function nonNegative(name: string, value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number >= 0, got "${value}"`);
  return n;
}

function timeout(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : integer("--timeout-ms", value, 1, 2 ** 31 - 1);
}

function server(value: string | undefined, env: Env): string {
  const address = (value ?? env[SERVER_ENV] ?? DEFAULT_SERVER).trim();
  if (!/^\S+:\d{1,5}$/.test(address)) {
    throw new UsageError(`--server must be host:port, got "${address}"`);
  }
  return address;
}

function outputSize(value: string | undefined): OutputSize {
  const v = (value ?? OutputSize.original).trim().toLowerCase();
  if (v !== OutputSize.original && v !== OutputSize.working) {
    throw new UsageError(`--size must be original or working, got "${value}"`);
  }
  return v;
}

const EXTENSION_FORMATS: Readonly<Record<string, OutputFormat>> = {
  ".png": "png",
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
  ".webp": "webp",
};

/** --format, else the output file's extension, else png; a contradiction is a usage error. */
function outputFormat(value: string | undefined, output: string): OutputFormat {
  const fromExtension = EXTENSION_FORMATS[extname(output).toLowerCase()];
  if (value === undefined) return fromExtension ?? "png";
  const v = value.trim().toLowerCase();
  const format = v === "jpg" ? "jpeg" : v;
  if (format !== "png" && format !== "jpeg" && format !== "webp") {
    throw new UsageError(`--format must be png, jpeg or webp, got "${value}"`);
  }
  if (fromExtension !== undefined && fromExtension !== format) {
    throw new UsageError(`--format ${format} contradicts the output file name "${output}"`);
  }
  return format;
}
