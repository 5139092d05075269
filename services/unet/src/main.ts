// unet service: DenoiserService.Denoise runs the whole denoising loop of an edit and publishes
// its latents to JetStream. Wiring only; the loop is createDenoiserStage in @emuedit/pipeline.
import { loadModelPackage } from "@emuedit/model-package";
import { connectNats, createLatentPublisher, ensureLatentStream, trackConnection } from "@emuedit/nats";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createSessionPool } from "@emuedit/onnx-runtime";
import { createDenoiserStage, createStepBatcher } from "@emuedit/pipeline";
import { addService, DenoiserService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { batchSizeHistogram, startTelemetry } from "@emuedit/telemetry";
import { denoiserHandlers } from "./handlers.js";
import { unetSettings } from "./settings.js";

const log = createLogger("unet");
const settings = readSettings(unetSettings);
const telemetry = await startTelemetry({
  serviceName: "emuedit-unet",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
});

const pkg = await loadModelPackage(settings.modelDir);
const nc = await connectNats(settings.natsUrl, { name: "emuedit-unet" });
await ensureLatentStream(await jetstreamManager(nc), { maxAgeMs: settings.latentMaxAgeMs });
const publisher = createLatentPublisher(nc, { objectTtlMs: settings.latentMaxAgeMs, timeoutMs: settings.publishTimeoutMs });
const unet = await createSessionPool({
  modelPath: pkg.unet.path,
  name: "unet",
  workers: settings.workers,
  intraOpThreads: settings.intraOpThreads,
  maxQueue: settings.maxQueue,
});
// Concurrent edits share UNet calls when rows carry their own timestep ([B] timestep input).
const batchSize = batchSizeHistogram();
const runner =
  pkg.unet.timestepShape === "batch"
    ? createStepBatcher(unet, { maxRows: settings.maxBatchRows, maxInFlight: settings.workers }, (rows) => batchSize.record(rows / 3))
    : unet;
const stage = createDenoiserStage(pkg, runner, { maxSteps: settings.maxSteps, maxGuidanceScale: settings.maxGuidanceScale });

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
  register: (s) => addService(s, DenoiserService, denoiserHandlers({ pkg, stage, publisher, js: jetstream(nc), nats: trackConnection(nc), log })),
});
server.health.setStatus("", "SERVING");
server.health.setStatus(DenoiserService.typeName, "SERVING");
log.info("ready", { model: pkg.name, address: server.address, nats: settings.natsUrl });

onTerminate(log, async () => {
  await server.shutdown(settings.shutdownGraceMs);
  await unet.close();
  // NATS may already be gone (operator stopped it first); in-flight work is done either way.
  await nc.drain().catch((err: unknown) => log.warn("nats drain failed", { error: String(err) }));
  await telemetry.shutdown();
});
