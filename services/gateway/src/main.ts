// gateway: the HTTP API and the gRPC EditorService in front of the three model services.
// Owns validation, limits, task resolution, orchestration, deadlines and encoding; it holds no
// model runtime (its package depends on @emuedit/edit-contract, never on @emuedit/stages).
import { setTimeout as sleep } from "node:timers/promises";
import { createUncondCache } from "@emuedit/edit-contract";
import { loadModelPackage } from "@emuedit/model-package";
import { connectNats, natsReady, trackConnection } from "@emuedit/nats";
import { addService, EditorService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { startTelemetry } from "@emuedit/telemetry";
import { createDownstream } from "./downstream.js";
import { createEditService } from "./edit-service.js";
import { editorHandlers } from "./grpc-editor.js";
import { createHttpServer } from "./http-server.js";
import { gatewaySettings } from "./settings.js";
import { startTaskCache } from "./task-registry.js";

const settings = readSettings(gatewaySettings);
const log = createLogger("gateway", { level: settings.logLevel });
const telemetry = await startTelemetry({
  serviceName: "emuedit-gateway",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
});

// The package's metadata only (JSON + ONNX graph I/O): resolution, defaults, task table.
const pkg = await loadModelPackage(settings.modelDir);
const nc = await connectNats(settings.natsUrl, { name: "emuedit-gateway" });
const tasks = await startTaskCache(nc, pkg, settings.seedTasks, log);

// Largest downstream message: a Decode (a working-size latent and the uint8 source image) or the
// text tensors, with headroom.
const side = Math.max(pkg.resolution, settings.maxWorkingSidePx);
const decodeBytes = side * side * 3 + pkg.unet.latentChannels * (side / pkg.vaeScaleFactor) ** 2 * 4;
const downstream = createDownstream(
  { "text-encoder": settings.textEncoderAddress, vae: settings.vaeAddress, unet: settings.unetAddress },
  {
    maxMessageBytes: messageLimitBytes(Math.max(decodeBytes, 3 * pkg.textEncoder.sequenceLength * pkg.textEncoder.hiddenDim * 4)),
    retryAfterS: settings.retryAfterS,
    decoderTakesSource: pkg.vaeDecoder.takesSource,
    coldStartWaitMs: settings.coldStartWaitMs,
    resolveIntervalMs: settings.resolveIntervalMs,
  },
);
// The empty prompt's encode has its own deadline: no edit's client owns it.
const uncond = createUncondCache((texts, signal) =>
  downstream.backends({ deadlineAt: Date.now() + settings.defaultTimeoutMs, previewEvery: 1 }).encodeText(texts, signal),
);
const edits = createEditService({
  pkg,
  downstream,
  tasks,
  uncond,
  nc,
  natsState: trackConnection(nc),
  imageLimits: { maxInputBytes: settings.maxBodyBytes, maxInputPixels: settings.maxInputPixels },
  maxWorkingSidePx: settings.maxWorkingSidePx,
  previewEvery: settings.previewEvery,
  minTaskConfidence: settings.minTaskConfidence,
  maxConcurrentEdits: settings.maxConcurrentEdits,
  retryAfterS: settings.retryAfterS,
});
const defaults = pkg.defaults;
const limits = settings;

let draining = false;
// Ready when every stage has a SERVING replica. With a cold-start wait, a stage without one does
// not count: edits wait for it, and a gateway taken out of its Service would never receive the
// edits that scale the stage up from zero.
const ready = async () => {
  const [stages, natsOk] = await Promise.all([downstream.ready(settings.readyCheckMs), natsReady(nc, { timeoutMs: settings.readyCheckMs })]);
  const stageChecks = Object.fromEntries(Object.entries(stages).map(([stage, h]) => [stage, h.status]));
  const checks = { ...stageChecks, nats: natsOk ? "CONNECTED" : "DISCONNECTED", ...(draining ? { gateway: "DRAINING" } : {}) };
  const stagesOk = settings.coldStartWaitMs > 0 || Object.values(stages).every((h) => h.status === "SERVING");
  const isReady = !draining && natsOk && stagesOk;
  const replicas = Object.fromEntries(Object.entries(stages).map(([stage, h]) => [stage, { serving: h.serving, total: h.replicas }]));
  return { ready: isReady, status: draining ? "draining" : isReady ? "ready" : "not_ready", checks, replicas };
};

const http = createHttpServer({ edits, tasks, defaults, limits, maxBodyBytes: settings.maxBodyBytes, retryAfterS: settings.retryAfterS, ready, log });
await new Promise<void>((resolve) => http.listen(settings.httpPort, settings.httpHost, resolve));
const httpAddress = http.address();
const httpPort = typeof httpAddress === "object" && httpAddress ? httpAddress.port : settings.httpPort;

const grpc = await startGrpcServer({
  name: "gateway",
  host: settings.grpcHost,
  port: settings.grpcPort,
  maxMessageBytes: messageLimitBytes(settings.maxBodyBytes),
  log,
  register: (s) => addService(s, EditorService, editorHandlers({ edits, tasks, defaults, limits, log })),
});
grpc.health.setStatus("", "SERVING");
grpc.health.setStatus(EditorService.typeName, "SERVING");
log.info("ready", { http: `http://${settings.httpHost}:${httpPort}`, grpc: grpc.address, model: pkg.name, tasks: tasks.size });

onTerminate(log, async () => {
  // 1. Not ready at once (/readyz 503, gRPC health NOT_SERVING) while still answering, so load
  //    balancers move away; 2. stop accepting; 3. in-flight edits finish (bounded by the grace);
  //    4. release connections. The model services are still up: the launcher stops them after us.
  draining = true;
  const grpcDrained = grpc.shutdown({ delayMs: settings.shutdownDelayMs, graceMs: settings.shutdownGraceMs });
  if (settings.shutdownDelayMs > 0) {
    log.info("not ready; still answering before it stops accepting", { delayMs: settings.shutdownDelayMs, inFlight: edits.inFlight });
    await sleep(settings.shutdownDelayMs);
  }
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  // Keep-alive connections go idle as their last response ends; close them then, not after the
  // client's keep-alive timeout.
  const idleSweep = setInterval(() => http.closeIdleConnections(), 50);
  http.closeIdleConnections();
  const graceOver = sleep(settings.shutdownGraceMs).then(() => log.warn("grace period over, closing connections", { inFlight: edits.inFlight }));
  await Promise.race([Promise.all([httpClosed, grpcDrained]), graceOver]);
  clearInterval(idleSweep);
  http.closeAllConnections();
  tasks.close();
  downstream.close();
  // NATS may already be gone (operator stopped it first); in-flight work is done either way.
  await nc.drain().catch((err: unknown) => log.warn("nats drain failed", { error: String(err) }));
  await telemetry.shutdown();
});
