// TaskEntry and its KV value encoding: UTF-8 JSON shaped like a tasks.json entry,
//   {"id":3,"name":"remove","group":"region","description":"...","examples":["..."],
//    "embedding":[0.0123,...]}
// with `embedding` as a plain number array (float32 values survive JSON exactly: every float32
// is a double, and the shortest double string parses back to the same float32).
import { InvalidTaskNameError, TaskEntryFormatError } from "./errors.js";

export interface TaskEntry {
  id: number;
  /** KV key; [a-z0-9_-]+ */
  name: string;
  /** Emu Edit task family, e.g. "region", "free-form", "vision". */
  group: string;
  description: string;
  /** Example instructions (task inversion inputs, classifier documentation). */
  examples: string[];
  /** [E] float32 learned task embedding. */
  embedding: Float32Array;
  /**
   * Who wrote the entry: "package:<model>:<fingerprint>" when seeded from a model package (so a
   * different package replaces it on its next seed), anything else (e.g. "inversion") when a
   * user registered it (never replaced by seeding). Absent in entries written without one.
   */
  origin?: string;
}

const TASK_NAME = /^[a-z0-9_-]+$/;

export function validateTaskName(name: string): string {
  if (typeof name !== "string" || !TASK_NAME.test(name)) throw new InvalidTaskNameError(String(name));
  return name;
}

export function encodeTaskEntry(task: TaskEntry): Uint8Array {
  validateTaskName(task.name);
  const json = {
    id: task.id,
    name: task.name,
    group: task.group,
    description: task.description,
    examples: task.examples,
    embedding: Array.from(task.embedding),
    ...(task.origin !== undefined ? { origin: task.origin } : {}),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

function fail(key: string, why: string, cause?: unknown): never {
  throw new TaskEntryFormatError(`task ${JSON.stringify(key)}: ${why}`, cause === undefined ? undefined : { cause });
}

/** Parses and checks one KV value; `key` is the KV key, which must equal the entry's name. */
export function decodeTaskEntry(key: string, value: Uint8Array): TaskEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(value));
  } catch (err) {
    fail(key, "value is not JSON", err);
  }
  if (typeof raw !== "object" || raw === null) fail(key, "value is not a JSON object");
  const o = raw as Record<string, unknown>;
  if (!Number.isInteger(o["id"])) fail(key, "id must be an integer");
  if (o["name"] !== key) fail(key, `name ${JSON.stringify(o["name"])} differs from the key`);
  for (const field of ["group", "description"] as const) {
    if (typeof o[field] !== "string") fail(key, `${field} must be a string`);
  }
  const examples = o["examples"];
  if (!Array.isArray(examples) || !examples.every((e) => typeof e === "string")) fail(key, "examples must be an array of strings");
  const embedding = o["embedding"];
  if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every((v) => typeof v === "number" && Number.isFinite(v))) {
    fail(key, "embedding must be a non-empty array of finite numbers");
  }
  if (o["origin"] !== undefined && typeof o["origin"] !== "string") fail(key, "origin must be a string");
  return {
    ...(typeof o["origin"] === "string" ? { origin: o["origin"] } : {}),
    id: o["id"] as number,
    name: key,
    group: o["group"] as string,
    description: o["description"] as string,
    examples: examples as string[],
    embedding: Float32Array.from(embedding as number[]),
  };
}
