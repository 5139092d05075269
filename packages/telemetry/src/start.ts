import { createRequire } from "node:module";
import { hostname } from "node:os";
import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { envDetector, hostDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { TelemetryAlreadyStartedError, TelemetryStartError } from "./errors.js";
import { bumpMeterGeneration } from "./metrics.js";
import { observeProcess } from "./process-metrics.js";
import { ReplicaSpanProcessor } from "./replica.js";

export interface TelemetryOptions {
  serviceName: string;
  /** Prometheus scrape endpoint port (GET /metrics); 0 or undefined = no endpoint. */
  metricsPort?: number;
  /** Interface of the scrape endpoint: "0.0.0.0" (default, for pods) or "127.0.0.1". */
  metricsHost?: string;
  /** OTLP/HTTP (protobuf) traces, e.g. http://otel-collector:4318 (/v1/traces is appended); undefined = no export. */
  otlpEndpoint?: string;
  /** Fraction of new root traces sampled (0..1, default 1); children follow their parent's decision. */
  sampleRatio?: number;
  /** Extra exporter, e.g. InMemorySpanExporter in tests; spans are exported as they end. */
  spanExporter?: SpanExporter;
  /** Extra resource attributes (service.version, deployment.environment.name, ...). */
  resourceAttributes?: Record<string, string>;
  /**
   * The port this replica serves on: every span then carries `emuedit.replica` = host name (the
   * pod's, on Kubernetes) + ":" + port, and the resource `service.instance.id` the same.
   */
  replicaPort?: number;
}

export interface Telemetry {
  readonly serviceName: string;
  /** http://host:port/metrics when the scrape endpoint is on. */
  readonly metricsUrl: string | undefined;
  /** Exports pending spans now. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporters and the scrape endpoint, unpatches gRPC/HTTP; idempotent. */
  shutdown(): Promise<void>;
}

/** Modules the instrumentations patch, loaded through `require` so the hook sees them. */
const INSTRUMENTED_MODULES = ["@grpc/grpc-js", "node:http", "node:https"];

let active: string | undefined;

function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, "");
  return trimmed.endsWith("/v1/traces") ? trimmed : `${trimmed}/v1/traces`;
}

/**
 * Starts OpenTelemetry for this process: gRPC client/server and HTTP spans, W3C propagation,
 * optional Prometheus endpoint and OTLP trace export.
 *
 * How services must start (ESM under tsx): call `await startTelemetry(...)` first thing in
 * main(), BEFORE creating any gRPC server or client. No `--import` flag is needed. The
 * instrumentation hooks CommonJS `require`; ESM `import` of @grpc/grpc-js bypasses it, so this
 * function requires grpc-js (and http/https) itself right after enabling the hooks: the
 * instrumentation then patches `Server.prototype.register` and `Client.prototype.make*Request`
 * in place, which also covers the copy that ESM code imported earlier (same module instance).
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const { serviceName } = options;
  if (!serviceName) throw new TelemetryStartError("serviceName is required");
  const ratio = options.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new TelemetryStartError(`sampleRatio must be in [0, 1], got ${ratio}`);
  if (active !== undefined) throw new TelemetryAlreadyStartedError(active);

  let prometheus: PrometheusExporter | undefined;
  let metricsUrl: string | undefined;
  if (options.metricsPort) {
    const host = options.metricsHost ?? "0.0.0.0";
    // One instrumentation scope ("emuedit"): its otel_scope_* labels would only add noise.
    prometheus = new PrometheusExporter({ port: options.metricsPort, host, preventServerStart: true, withoutScopeInfo: true });
    try {
      await prometheus.startServer();
    } catch (err) {
      throw new TelemetryStartError(`Prometheus endpoint on ${host}:${options.metricsPort} failed to start`, { cause: err });
    }
    metricsUrl = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${options.metricsPort}/metrics`;
  }

  const replica = options.replicaPort ? `${hostname()}:${options.replicaPort}` : undefined;
  // First, so the attribute is on the span before any exporter sees it.
  const spanProcessors: SpanProcessor[] = replica ? [new ReplicaSpanProcessor(replica)] : [];
  if (options.spanExporter) spanProcessors.push(new SimpleSpanProcessor(options.spanExporter));
  if (options.otlpEndpoint) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint) })));
  // Without an exporter spans still get ids, so trace context flows through this service.
  if (!options.spanExporter && !options.otlpEndpoint) spanProcessors.push(new NoopSpanProcessor());

  const instrumentations = [
    new GrpcInstrumentation(),
    new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === "/metrics" }),
  ];
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      ...options.resourceAttributes,
      ...(replica ? { "service.instance.id": replica } : {}),
      [ATTR_SERVICE_NAME]: serviceName,
    }),
    // OTEL_RESOURCE_ATTRIBUTES (pod, namespace) and host; not the process detector, whose
    // command line may carry secrets.
    resourceDetectors: [envDetector, hostDetector],
    serviceName,
    spanProcessors,
    metricReaders: prometheus ? [prometheus] : [],
    // Explicitly none: never fall back to the SDK's env-configured OTLP log exporter.
    logRecordProcessors: [],
    sampler: new ParentBasedSampler({ root: ratio === 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio) }),
    instrumentations,
  });
  sdk.start();
  const require = createRequire(import.meta.url);
  for (const name of INSTRUMENTED_MODULES) require(name);
  active = serviceName;
  observeProcess();
  bumpMeterGeneration();

  let stopped: Promise<void> | undefined;
  return {
    serviceName,
    metricsUrl,
    forceFlush: async () => {
      await Promise.all(spanProcessors.map((p) => p.forceFlush()));
    },
    shutdown() {
      stopped ??= (async () => {
        try {
          await sdk.shutdown();
        } finally {
          for (const i of instrumentations) i.disable();
          // Unregister the globals so a later startTelemetry (tests) can register again.
          trace.disable();
          metrics.disable();
          propagation.disable();
          context.disable();
          bumpMeterGeneration();
          active = undefined;
        }
      })();
      return stopped;
    },
  };
}
