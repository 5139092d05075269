// Every limit and address is a named setting read from the environment, validated at start-up
// with one error listing every bad value (a misconfigured pod should fail fast and say why).
import { EmueditError, Status } from "@emuedit/errors";

export class SettingsError extends EmueditError {
  override name = "SettingsError";
  constructor(readonly problems: readonly string[]) {
    super(Status.Internal, `invalid settings:\n  ${problems.join("\n  ")}`);
  }
}

export interface SettingSpec<T> {
  readonly env: string;
  readonly default: T;
  readonly doc: string;
  parse(raw: string): T | { error: string };
}

export function intSetting(env: string, def: number, doc: string, range: { min?: number; max?: number } = {}): SettingSpec<number> {
  const { min = -Infinity, max = Infinity } = range;
  return {
    env,
    default: def,
    doc,
    parse(raw) {
      const v = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v)) return { error: `must be an integer, got "${raw}"` };
      if (v < min || v > max) return { error: `must be within ${min}..${max}, got ${v}` };
      return v;
    },
  };
}

export function floatSetting(env: string, def: number, doc: string, range: { min?: number; max?: number } = {}): SettingSpec<number> {
  const { min = -Infinity, max = Infinity } = range;
  return {
    env,
    default: def,
    doc,
    parse(raw) {
      const v = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(v)) return { error: `must be a number, got "${raw}"` };
      if (v < min || v > max) return { error: `must be within ${min}..${max}, got ${v}` };
      return v;
    },
  };
}

/** One of a fixed set of words (e.g. a log level). */
export function choiceSetting<T extends string>(env: string, def: T, choices: readonly T[], doc: string): SettingSpec<T> {
  return {
    env,
    default: def,
    doc: `${doc} (${choices.join(", ")})`,
    parse(raw) {
      const v = raw.trim().toLowerCase() as T;
      return choices.includes(v) ? v : { error: `must be one of ${choices.join(", ")}, got "${raw}"` };
    },
  };
}

export function stringSetting(env: string, def: string, doc: string): SettingSpec<string> {
  return { env, default: def, doc, parse: (raw) => raw };
}

export function boolSetting(env: string, def: boolean, doc: string): SettingSpec<boolean> {
  return {
    env,
    default: def,
    doc,
    parse(raw) {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      return { error: `must be true or false, got "${raw}"` };
    },
  };
}

type Values<S> = { [K in keyof S]: S[K] extends SettingSpec<infer T> ? T : never };

/** Reads every spec from `env` (process.env by default); unset or empty means the default. */
export function readSettings<S extends Record<string, SettingSpec<unknown>>>(
  specs: S,
  env: NodeJS.ProcessEnv = process.env,
): Values<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(specs)) {
    const raw = env[spec.env];
    if (raw === undefined || raw === "") {
      out[key] = spec.default;
      continue;
    }
    const v = spec.parse(raw);
    if (v !== null && typeof v === "object" && "error" in (v as object)) problems.push(`${spec.env}: ${(v as { error: string }).error}`);
    else out[key] = v;
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return out as Values<S>;
}

/** Markdown table of a service's settings, for docs/operations.md and `--help`. */
export function describeSettings(specs: Record<string, SettingSpec<unknown>>): string {
  const rows = Object.values(specs).map((s) => `| \`${s.env}\` | \`${String(s.default)}\` | ${s.doc} |`);
  return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
