// unet service: DenoiserService.Denoise runs the whole denoising loop of an edit and publishes
// its latents to JetStream. Wiring only; the loop is createDenoiserStage in @emuedit/stages.
import { loadModelPackage } from "@emuedit/model-package";
import { connectNats, createLatentPublisher, maintainLatentStream, trackConnection } from "@emuedit/nats";
import { jetstream } from "@nats-io/jetstream";
import { addService, DenoiserService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { createDenoiserStage, createStepBatcher, openComponent } from "@emuedit/stages";
import { batchSizeHistogram, modelCallObserver, observeModelQueues, startTelemetry } from "@emuedit/telemetry";
import { denoiserHandlers } from "./handlers.js";
import { initLatentPublishMetrics } from "./metrics.js";
import { unetSettings } from "./settings.js";

const settings = readSettings(unetSettings);
const log = createLogger("unet", { level: settings.logLevel });
const telemetry = await startTelemetry({
  serviceName: "emuedit-unet",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
  replicaPort: settings.port,
});

const pkg = await loadModelPackage(settings.modelDir);
const nc = await connectNats(settings.natsUrl, {
  name: "emuedit-unet",
  reconnectTimeWaitMs: settings.natsReconnectWaitMs,
});
await maintainLatentStream(
  nc,
  { maxAgeMs: settings.latentMaxAgeMs, maxBytes: settings.latentMaxBytes, replicas: settings.latentReplicas, storage: settings.latentStorage, onRecreate: (message) => log.warn(message) },
  (err) => log.warn("latent stream not re-created after a reconnect; edits go on without previews", { error: String(err) }),
);
initLatentPublishMetrics();
const publisher = createLatentPublisher(nc, {
  objectTtlMs: settings.latentMaxAgeMs,
  objectReplicas: settings.latentReplicas,
  objectStorage: settings.latentStorage,
  onRecreateObjects: (message) => log.warn(message),
  timeoutMs: settings.publishTimeoutMs,
});
const unet = await openComponent(pkg, pkg.unet, "unet", { ...settings, observer: modelCallObserver("unet") });
// Concurrent edits share UNet calls when rows carry their own timestep ([B] timestep input).
const batchSize = batchSizeHistogram();
const batcher =
  pkg.unet.timestepShape === "batch"
    ? createStepBatcher(unet, { maxRows: settings.maxBatchRows, maxInFlight: Math.max(1, settings.workers) }, (_rows, edits) => batchSize.record(edits))
    : null;
observeModelQueues({ unet: () => ({ waiting: unet.queueDepth() + (batcher?.waiting ?? 0), running: unet.activeRuns() }) });
const stage = createDenoiserStage(pkg, batcher ?? unet);

// Largest request: image latent + resume latent and history (at most 4 tensors) + 3 text rows.
const latentBytes = pkg.unet.latentChannels * (pkg.resolution / pkg.vaeScaleFactor) ** 2 * 4 * 4; // up to 2x the trained side
const textBytes = pkg.textEncoder.sequenceLength * pkg.textEncoder.hiddenDim * 4;
const maxMessageBytes = messageLimitBytes(6 * latentBytes + 2 * textBytes + (pkg.unet.taskEmbeddingDim ?? 0) * 4);
const server = await startGrpcServer({
  name: "unet",
  host: settings.host,
  port: settings.port,
  maxMessageBytes,
  log,
  register: (s) =>
    addService(s, DenoiserService, denoiserHandlers({ pkg, stage, limits: { ...settings, maxSteps: Math.min(settings.maxSteps, pkg.maxSteps) }, publisher, js: jetstream(nc), nats: trackConnection(nc), log })),
});
server.health.setStatus("", "SERVING");
server.health.setStatus(DenoiserService.typeName, "SERVING");
log.info("ready", { model: pkg.name, address: server.address, nats: settings.natsUrl });

onTerminate(log, async () => {
  await server.shutdown({ delayMs: settings.shutdownDelayMs, graceMs: settings.shutdownGraceMs });
  await unet.close();
  // NATS may already be gone (operator stopped it first); in-flight work is done either way.
  await nc.drain().catch((err: unknown) => log.warn("nats drain failed", { error: String(err) }));
  await telemetry.shutdown();
});
