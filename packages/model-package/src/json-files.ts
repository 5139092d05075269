// Reading the package's JSON files with errors that name the file and the field.
import { readFile, stat } from "node:fs/promises";
import { InvalidJsonError, MissingFileError } from "./errors.js";

export type JsonObject = Record<string, unknown>;

export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Throws MissingFileError naming `what` when `path` is not a file. */
export async function requireFile(path: string, what: string): Promise<string> {
  if (!(await fileExists(path))) throw new MissingFileError(path, `missing (${what})`);
  return path;
}

/** Parses a JSON file whose top level must be an object. */
export async function readJsonObject(path: string, what: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new MissingFileError(path, `missing (${what})`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidJsonError(path, `invalid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!isObject(value)) throw new InvalidJsonError(path, `top level must be a JSON object (${what})`);
  return value;
}

/** Like readJsonObject, but null when the file does not exist. */
export async function readOptionalJsonObject(path: string, what: string): Promise<JsonObject | null> {
  return (await fileExists(path)) ? readJsonObject(path, what) : null;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Typed, validated access to the optional fields of one JSON object from `file`. */
export class JsonFields {
  constructor(
    readonly file: string,
    readonly obj: JsonObject,
  ) {}

  private bad(key: string, want: string): never {
    throw new InvalidJsonError(this.file, `"${key}" must be ${want}, got ${JSON.stringify(this.obj[key])}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  string(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return typeof v === "string" && v.length > 0 ? v : this.bad(key, "a non-empty string");
  }

  /** A finite number > 0 (or >= 0 with allowZero). */
  positive(key: string, allowZero = false): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    const ok = typeof v === "number" && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0);
    return ok ? v : this.bad(key, allowZero ? "a number >= 0" : "a number > 0");
  }

  /** An integer >= 1. */
  count(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return Number.isInteger(v) && (v as number) >= 1 ? (v as number) : this.bad(key, "an integer >= 1");
  }

  array(key: string): unknown[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return Array.isArray(v) ? v : this.bad(key, "an array");
  }
}
