// Arguments of `emuedit keys create|list|revoke` (keys.ts runs them).
import { parseArgs } from "node:util";
import { API_KEY_SCOPES, type ApiKeyLimits, type ApiKeyScope } from "@emuedit/nats";
import { UsageError } from "./errors.js";
import { natsUrl, type Env } from "./nats-url.js";

export type KeysCommand =
  | { readonly kind: "keys"; readonly action: "create"; readonly nats: string; readonly json: boolean; readonly replicas: number; readonly name: string; readonly scopes: ApiKeyScope[]; readonly limits: ApiKeyLimits }
  | { readonly kind: "keys"; readonly action: "list"; readonly nats: string; readonly json: boolean; readonly replicas: number }
  | { readonly kind: "keys"; readonly action: "revoke"; readonly nats: string; readonly json: boolean; readonly replicas: number; readonly id: string };

const OPTIONS = {
  nats: { type: "string" },
  json: { type: "boolean" },
  name: { type: "string" },
  scope: { type: "string", multiple: true },
  rate: { type: "string" },
  burst: { type: "string" },
  concurrency: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export function parseKeys(args: readonly string[], env: Env): KeysCommand | { kind: "help"; topic: "keys" } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help", topic: "keys" };
  const [action, ...rest] = positionals;
  const replicas = Number(env.EMUEDIT_NATS_REPLICAS ?? "1") || 1;
  const common = { kind: "keys" as const, nats: natsUrl(values.nats, env), json: values.json ?? false, replicas };
  switch (action) {
    case "create": {
      if (rest.length > 0) throw new UsageError(`keys create takes no arguments, got "${rest.join(" ")}"`);
      const name = values.name?.trim() ?? "";
      if (name === "") throw new UsageError("keys create needs --name <who or what the key is for>");
      const scopes = (values.scope ?? ["edit"]).flatMap((s) => s.split(",")).map((s) => s.trim());
      for (const s of scopes) if (!(API_KEY_SCOPES as readonly string[]).includes(s)) throw new UsageError(`--scope must be one of ${API_KEY_SCOPES.join(", ")}, got "${s}"`);
      const limits: ApiKeyLimits = {
        ...positive("--rate", values.rate, "ratePerS", false),
        ...positive("--burst", values.burst, "burst", true),
        ...positive("--concurrency", values.concurrency, "maxConcurrentEdits", true),
      };
      return { ...common, action, name, scopes: scopes as ApiKeyScope[], limits };
    }
    case "list":
      if (rest.length > 0) throw new UsageError(`keys list takes no arguments, got "${rest.join(" ")}"`);
      return { ...common, action };
    case "revoke":
      if (rest.length !== 1) throw new UsageError("keys revoke takes one <key id> (see emuedit keys list)");
      return { ...common, action, id: rest[0]! };
    default:
      throw new UsageError(action === undefined ? "keys needs create, list or revoke" : `unknown keys action "${action}"`);
  }
}

function positive(flag: string, value: string | undefined, field: keyof ApiKeyLimits, integer: boolean): ApiKeyLimits {
  if (value === undefined) return {};
  const v = Number(value);
  if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v)))) throw new UsageError(`${flag} must be a positive ${integer ? "integer" : "number"}, got "${value}"`);
  return { [field]: v };
}

