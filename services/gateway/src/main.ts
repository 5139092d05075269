// gateway: the HTTP API and the gRPC EditorService in front of the three model services.
// Owns validation, limits, task resolution, orchestration, deadlines and encoding; it holds no
// model runtime (its package depends on @emuedit/edit-contract, never on @emuedit/stages).
import { setTimeout as sleep } from "node:timers/promises";
import { createUncondCache } from "@emuedit/edit-contract";
import { loadModelPackage } from "@emuedit/model-package";
import { connectNats, natsReady, openJobStore, openSessionStore, trackConnection } from "@emuedit/nats";
import { addService, EditorService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { startTelemetry } from "@emuedit/telemetry";
import { startApiEdge } from "./api-edge.js";
import { createDownstream } from "./downstream.js";
import { createEditService } from "./edit-service.js";
import { guardEditor } from "./grpc-auth.js";
import { editorHandlers } from "./grpc-editor.js";
import { addReflection } from "./grpc-reflection.js";
import { createHttpServer } from "./http-server.js";
import { createJobEvents } from "./jobs/job-events.js";
import { jobRoutes } from "./jobs/job-routes.js";
import { createJobRunner } from "./jobs/job-runner.js";
import { loadLatentRgbFactors } from "./jobs/latent-preview.js";
import { createSessionService } from "./sessions/session-service.js";
import { sessionRoutes } from "./sessions/session-routes.js";
import { gatewaySettings } from "./settings.js";
import { taskPredictionRoutes } from "./task-prediction.js";
import { startTaskCache } from "./task-registry.js";
import { staticSite } from "./web/static-site.js";

const settings = readSettings(gatewaySettings);
const log = createLogger("gateway", { level: settings.logLevel });
const telemetry = await startTelemetry({
  serviceName: "emuedit-gateway",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
  replicaPort: settings.httpPort,
});

// The package's metadata only (JSON + ONNX graph I/O): resolution, defaults, task table.
const pkg = await loadModelPackage(settings.modelDir);
const nc = await connectNats(settings.natsUrl, {
  name: "emuedit-gateway",
  reconnectTimeWaitMs: settings.natsReconnectWaitMs,
});
const tasks = await startTaskCache(nc, pkg, { seed: settings.seedTasks, replicas: settings.natsReplicas }, log);
const api = await startApiEdge(nc, settings, pkg.name, log);

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
// Steps past the scheduler's training timesteps cannot run: refused as any out-of-range value.
const limits = { ...settings, maxSteps: Math.min(settings.maxSteps, pkg.maxSteps) };

// Asynchronous edits: jobs in JetStream, run by whichever gateway holds their lease.
const jobStore = await openJobStore(nc, { retentionMs: settings.jobRetentionMs, replicas: settings.natsReplicas });
const jobRunner = createJobRunner(
  jobStore,
  edits,
  {
    instanceName: settings.instanceName,
    maxQueuedJobs: settings.maxQueuedJobs,
    maxRunningJobs: settings.maxRunningJobs,
    leaseMs: settings.jobLeaseMs,
    maxAttempts: settings.jobMaxAttempts,
    retryAfterS: settings.retryAfterS,
    webhook: { secret: settings.webhookSecret, maxAttempts: settings.webhookMaxAttempts, backoffMs: settings.webhookBackoffMs, timeoutMs: settings.webhookTimeoutMs },
  },
  log,
);
const factors = loadLatentRgbFactors(settings.modelDir, pkg.unet.latentChannels);
const jobEvents = createJobEvents(
  jobStore,
  nc,
  factors,
  { previewIntervalMs: settings.ssePreviewIntervalMs, heartbeatMs: settings.sseHeartbeatMs, maxConnections: settings.maxSseConnections, retryAfterS: settings.retryAfterS },
  log,
);
const jobs = jobRoutes(jobStore, jobRunner, jobEvents, {
  webhookSecret: settings.webhookSecret,
  imageLimits: { maxInputBytes: settings.maxBodyBytes, maxInputPixels: settings.maxInputPixels },
});

// Multi-turn sessions (each turn an async job), task prediction, and the web editor at /.
const imageLimits = { maxInputBytes: settings.maxBodyBytes, maxInputPixels: settings.maxInputPixels };
const sessionStore = await openSessionStore(nc, { retentionMs: settings.sessionRetentionMs, replicas: settings.natsReplicas });
const sessions = createSessionService(
  sessionStore,
  jobStore,
  jobRunner,
  { maxTurns: settings.maxSessionTurns, maxSessions: settings.maxSessions, imageLimits, retryAfterS: settings.retryAfterS },
  log,
);
const routes = [
  sessionRoutes(sessions, { defaults: pkg.defaults, limits, maxBodyBytes: settings.maxBodyBytes }),
  taskPredictionRoutes({
    backends: (deadlineAt) => downstream.backends({ deadlineAt, previewEvery: 1 }),
    tasks,
    minTaskConfidence: settings.minTaskConfidence,
    maxInstructionChars: settings.maxInstructionChars,
    timeoutMs: settings.defaultTimeoutMs,
  }),
  staticSite(),
];

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

const http = createHttpServer({ edits, tasks, defaults, limits, maxBodyBytes: settings.maxBodyBytes, retryAfterS: settings.retryAfterS, ready, log, jobs, routes, ...api });
await new Promise<void>((resolve) => http.listen(settings.httpPort, settings.httpHost, resolve));
const httpAddress = http.address();
const httpPort = typeof httpAddress === "object" && httpAddress ? httpAddress.port : settings.httpPort;

const grpc = await startGrpcServer({
  name: "gateway",
  host: settings.grpcHost,
  port: settings.grpcPort,
  maxMessageBytes: messageLimitBytes(settings.maxBodyBytes),
  log,
  register: (s) => {
    addService(s, EditorService, guardEditor(editorHandlers({ edits, tasks, defaults, limits, log }), api.access));
    addReflection(s);
  },
});
grpc.health.setStatus("", "SERVING");
grpc.health.setStatus(EditorService.typeName, "SERVING");
jobRunner.start();
log.info("ready", { http: `http://${settings.httpHost}:${httpPort}`, grpc: grpc.address, model: pkg.name, tasks: tasks.size, owner: jobRunner.owner, previews: factors.source });

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
  // Event streams end now (clients resume elsewhere with Last-Event-ID); jobs held here finish
  // within the grace or go back to the other gateways, continuing from their checkpoints.
  jobEvents.close();
  sessions.close();
  const jobsHandedOver = jobRunner.close(settings.shutdownGraceMs);
  // Keep-alive connections go idle as their last response ends; close them then, not after the
  // client's keep-alive timeout.
  const idleSweep = setInterval(() => http.closeIdleConnections(), 50);
  http.closeIdleConnections();
  const graceOver = sleep(settings.shutdownGraceMs).then(() => log.warn("grace period over, closing connections", { inFlight: edits.inFlight }));
  await Promise.race([Promise.all([httpClosed, grpcDrained, jobsHandedOver]), graceOver]);
  await jobsHandedOver;
  clearInterval(idleSweep);
  http.closeAllConnections();
  tasks.close();
  api.close();
  downstream.close();
  // NATS may already be gone (operator stopped it first); in-flight work is done either way.
  await nc.drain().catch((err: unknown) => log.warn("nats drain failed", { error: String(err) }));
  await telemetry.shutdown();
});
