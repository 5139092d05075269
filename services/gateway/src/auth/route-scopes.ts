// The scope each HTTP route needs. Every /v1 route needs at least `edit` unless listed as open,
// so a route added later is closed until someone decides otherwise.
import { ApiKeyScope } from "@emuedit/nats";

/** Open routes: probes, and downloads of url results (the link is the credential). */
const OPEN_PREFIXES = ["/healthz", "/readyz", "/v1/images/results/"];

export function routeScope(method: string, path: string): ApiKeyScope | null {
  if (OPEN_PREFIXES.some((p) => path === p || (p.endsWith("/") && path.startsWith(p)))) return null;
  // Predicting a task reads the registry like GET /v1/tasks; writing it is admin's.
  if (path === "/v1/tasks/predict") return ApiKeyScope.Edit;
  if (path.startsWith("/v1/tasks/") && method !== "GET") return ApiKeyScope.Admin;
  if (path.startsWith("/v1/")) return ApiKeyScope.Edit;
  return null;
}
