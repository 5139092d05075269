// Who is calling and what they may do, for both edges: an API key from `Authorization: Bearer`
// (HTTP) or the `authorization` metadata (gRPC) is looked up in the replica's key cache; a
// missing or unknown key is 401 / UNAUTHENTICATED, a key without the scope 403 /
// PERMISSION_DENIED. With auth off every caller is anonymous and quotas do not apply.
import { isIP } from "node:net";
import { EmueditError, Status } from "@emuedit/errors";
import type { ApiKeyCache, ApiKeyScope } from "@emuedit/nats";
import { AuthMode } from "../api-settings.js";
import type { Lease, Quota, QuotaLimits } from "./quota.js";

export interface Principal {
  /** The API key's id ("anonymous" when auth is off): scopes idempotency keys and quotas. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly limits: QuotaLimits;
}

export const ANONYMOUS: Principal = { id: "anonymous", name: "anonymous", scopes: ["edit", "admin"], limits: { ratePerS: Infinity, burst: Infinity, maxConcurrentEdits: Infinity } };

export interface Access {
  readonly required: boolean;
  /** The caller of a request with this Authorization value, allowed `scope`; throws 401 / 403. */
  check(authorization: string | undefined, scope: ApiKeyScope): Principal;
  /** A concurrent-edit slot and a rate token of the caller (no-op for anonymous); throws 429. */
  admit(principal: Principal): Promise<Lease | null>;
}

/** auto: keys are required as soon as one edge listens beyond this machine. */
export function authRequired(mode: AuthMode, hosts: readonly string[]): boolean {
  if (mode !== AuthMode.Auto) return mode === AuthMode.Required;
  return hosts.some((h) => !isLoopback(h));
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::1";
}

const unauthenticated = (message: string) => new EmueditError(Status.Unauthenticated, message, { code: "invalid_api_key" });

export function createAccess(options: {
  readonly required: boolean;
  readonly keys: ApiKeyCache | null;
  readonly quota: Quota | null;
  readonly defaults: QuotaLimits;
}): Access {
  const { keys, quota, defaults } = options;
  return {
    required: options.required,
    check(authorization, scope) {
      if (!options.required || keys === null) return ANONYMOUS;
      if (authorization === undefined || authorization === "") throw unauthenticated("an API key is required: send Authorization: Bearer <key>");
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!m) throw unauthenticated("Authorization must be \"Bearer <key>\"");
      const record = keys.lookup(m[1]!);
      if (record === null) throw unauthenticated("the API key is not valid (unknown, revoked or mistyped)");
      if (!record.scopes.includes(scope)) {
        throw new EmueditError(Status.PermissionDenied, `the API key lacks the "${scope}" scope (it has ${record.scopes.join(", ") || "none"})`, {
          code: "insufficient_scope",
        });
      }
      return {
        id: record.id,
        name: record.name,
        scopes: record.scopes,
        limits: {
          ratePerS: record.limits.ratePerS ?? defaults.ratePerS,
          burst: record.limits.burst ?? defaults.burst,
          maxConcurrentEdits: record.limits.maxConcurrentEdits ?? defaults.maxConcurrentEdits,
        },
      };
    },
    async admit(principal) {
      if (principal === ANONYMOUS || quota === null) return null;
      return quota.acquire(principal.id, principal.limits);
    },
  };
}
