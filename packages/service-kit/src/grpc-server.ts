// A gRPC server with grpc.health.v1, deliberate message-size limits and graceful shutdown:
// report NOT_SERVING, keep answering a short while (clients move away), stop accepting, let
// in-flight calls finish (bounded), then close. Its readiness is also a metric
// (emuedit_service_ready: summed by service, the ready replicas an autoscaler sees), and every
// call it receives is counted by method (which replica got the work).
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { addService, createHealthService, grpcChannelOptions, Health, type HealthService } from "@emuedit/proto";
import { counter, MetricName, observableGauge } from "@emuedit/telemetry";
import type { Logger } from "./log.js";

export interface GrpcServerOptions {
  readonly name: string;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly maxMessageBytes: number;
  /** Adds the service implementations; the health service is added here. */
  readonly register: (server: grpc.Server) => void;
  readonly log: Logger;
}

export interface DrainOptions {
  /** Not serving but still answering, so clients and load balancers move away first (ms). */
  readonly delayMs: number;
  /** Then: how long in-flight calls may take before they are cancelled (ms). */
  readonly graceMs: number;
}

export interface GrpcServerHandle {
  readonly port: number;
  readonly address: string;
  readonly server: grpc.Server;
  readonly health: HealthService;
  /**
   * Health NOT_SERVING at once; calls are still answered for `delayMs`; then the server stops
   * accepting and in-flight calls get up to `graceMs` before they are cancelled. Idempotent.
   */
  shutdown(drain: DrainOptions): Promise<void>;
}

const calls = counter(MetricName.GrpcServerCalls, { description: "gRPC calls received, by method" });

/**
 * Counts each call as it starts (health checks included: the method says which) by wrapping the
 * handlers this server registers. Not a grpc-js server interceptor: with one, the OpenTelemetry
 * grpc instrumentation loses the server spans of streaming calls (the gateway's EditStream).
 */
function countCalls(server: grpc.Server): void {
  const addService = server.addService.bind(server);
  server.addService = (definition, implementation) => {
    const counted: grpc.UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(implementation)) {
      const method = definition[name]?.path ?? name;
      counted[name] = ((...args: unknown[]) => {
        calls.add(1, { method });
        return (handler as (...a: unknown[]) => unknown)(...args);
      }) as grpc.UntypedHandleCall;
    }
    addService(definition, counted);
  };
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const server = new grpc.Server(grpcChannelOptions({ maxMessageBytes: opts.maxMessageBytes }));
  countCalls(server);
  // Not serving until the caller says the model is loaded and warmed up.
  const health = createHealthService({ "": "NOT_SERVING" });
  observableGauge(MetricName.ServiceReady, { description: "1 while the service reports SERVING, 0 while loading or draining" }, () => [
    [health.status("") === "SERVING" ? 1 : 0, { service: opts.name }],
  ]);
  addService(server, Health, health.impl);
  opts.register(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  const address = `${opts.host}:${port}`;
  opts.log.info("grpc listening", { address, maxMessageBytes: opts.maxMessageBytes });

  let closing: Promise<void> | null = null;
  return {
    port,
    address,
    server,
    health,
    shutdown({ delayMs, graceMs }) {
      closing ??= (async () => {
        health.shutdown();
        if (delayMs > 0) {
          opts.log.info("not serving; still answering before it stops accepting", { delayMs });
          await sleep(delayMs);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            opts.log.warn("grace period over, cancelling in-flight calls", { graceMs });
            server.forceShutdown();
            resolve();
          }, graceMs);
          timer.unref();
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      })();
      return closing;
    },
  };
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0 (1 if it threw). A second
 * signal exits at once, so an operator is never stuck behind a hung drain.
 */
export function onTerminate(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn("second signal, exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    log.info("draining", { signal });
    stop().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error("shutdown failed", { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
