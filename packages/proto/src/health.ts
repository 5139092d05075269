// grpc.health.v1 (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): Check for
// probes, Watch for clients that follow status changes. Readiness ("model loaded") is expressed
// by setStatus; the process being able to answer at all is liveness.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus, type HealthCheckResponseSchema } from "./gen/grpc/health/v1/health_pb.js";
import { createClient, type ServiceImpl } from "./grpc-adapter.js";
import { GrpcError, GrpcStatus } from "./errors.js";

export type HealthStatus = "SERVING" | "NOT_SERVING";
export type HealthCheckStatus = keyof typeof ServingStatus;

export interface HealthService {
  /** Pass to addService(server, Health, impl). */
  impl: ServiceImpl<typeof Health>;
  /** Sets a service's status ("" is the whole server) and notifies its watchers. Ignored after shutdown(). */
  setStatus(service: string, status: HealthStatus): void;
  /** Every service NOT_SERVING from now on (call when draining before exit). */
  shutdown(): void;
  /** A service's status now ("" is the whole server). */
  status(service: string): HealthCheckStatus;
}

interface Watcher {
  queue: ServingStatus[];
  wake: (() => void) | undefined;
}

/** `initial` defaults to the whole server ("") SERVING; services not listed are unknown. */
export function createHealthService(initial: Record<string, HealthStatus> = { "": "SERVING" }): HealthService {
  const statuses = new Map<string, ServingStatus>();
  const watchers = new Map<string, Set<Watcher>>();
  let shutDown = false;

  const current = (service: string) => statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
  const update = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const watcher of watchers.get(service) ?? []) {
      watcher.queue.push(status);
      watcher.wake?.();
    }
  };
  for (const [service, status] of Object.entries(initial)) update(service, ServingStatus[status]);

  type Response = MessageInitShape<typeof HealthCheckResponseSchema>;
  const impl: ServiceImpl<typeof Health> = {
    async check(request) {
      const status = statuses.get(request.service);
      if (status === undefined) throw new GrpcError(GrpcStatus.NOT_FOUND, `unknown service "${request.service}"`);
      return { status };
    },
    // The current status at once, then each change, until the client cancels (the spec's Watch).
    async *watch(request, ctx): AsyncGenerator<Response> {
      const watcher: Watcher = { queue: [current(request.service)], wake: undefined };
      let set = watchers.get(request.service);
      if (set === undefined) watchers.set(request.service, (set = new Set()));
      set.add(watcher);
      const onAbort = () => watcher.wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        while (!ctx.signal.aborted) {
          const next = watcher.queue.shift();
          if (next !== undefined) {
            yield { status: next };
            continue;
          }
          await new Promise<void>((resolve) => (watcher.wake = resolve));
          watcher.wake = undefined;
        }
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
        set.delete(watcher);
        if (set.size === 0) watchers.delete(request.service);
      }
    },
  };

  return {
    impl,
    setStatus(service, status) {
      if (!shutDown) update(service, ServingStatus[status]);
    },
    shutdown() {
      shutDown = true;
      for (const service of statuses.keys()) update(service, ServingStatus.NOT_SERVING);
    },
    status: (service) => ServingStatus[current(service)] as HealthCheckStatus,
  };
}

/**
 * One Check against `address`. Resolves the status name; rejects with a GrpcError (NOT_FOUND for
 * an unknown service, UNAVAILABLE / DEADLINE_EXCEEDED when the server does not answer in time).
 */
export async function checkHealth(address: string, service = "", deadlineMs = 1000): Promise<HealthCheckStatus> {
  const client = createClient(Health, address);
  try {
    const response = await client.check({ service }, { deadlineMs });
    return ServingStatus[response.status] as HealthCheckStatus;
  } finally {
    client.close();
  }
}
