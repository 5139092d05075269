// vae service: VaeService.Encode / Decode over the package's autoencoder. Wiring only; the work
// is createVaeStage in @emuedit/stages.
import { loadModelPackage } from "@emuedit/model-package";
import { addService, VaeService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { createVaeStage, openComponent } from "@emuedit/stages";
import { modelCallObserver, observeModelQueues, startTelemetry } from "@emuedit/telemetry";
import { vaeHandlers } from "./handlers.js";
import { vaeSettings } from "./settings.js";

const settings = readSettings(vaeSettings);
const log = createLogger("vae", { level: settings.logLevel });
const telemetry = await startTelemetry({
  serviceName: "emuedit-vae",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
  replicaPort: settings.port,
});

const pkg = await loadModelPackage(settings.modelDir);
const [encoder, decoder] = await Promise.all([
  openComponent(pkg, pkg.vaeEncoder, "vae_encoder", { ...settings, observer: modelCallObserver("vae_encoder") }),
  openComponent(pkg, pkg.vaeDecoder, "vae_decoder", { ...settings, observer: modelCallObserver("vae_decoder") }),
]);
const stage = createVaeStage(pkg, { encoder, decoder });
observeModelQueues({
  vae_encoder: () => ({ waiting: encoder.queueDepth(), running: encoder.activeRuns() }),
  vae_decoder: () => ({ waiting: decoder.queueDepth(), running: decoder.activeRuns() }),
});

// Largest message: a Decode of a full batch of max-size latents (f32) with their uint8 source
// images (sent for decoders conditioned on them); an Encode is the images alone.
const latentBytes = stage.latentChannels * (settings.maxSidePx / stage.scaleFactor) ** 2 * 4;
const maxMessageBytes = messageLimitBytes(settings.maxBatch * (settings.maxSidePx ** 2 * 3 + latentBytes));
const server = await startGrpcServer({
  name: "vae",
  host: settings.host,
  port: settings.port,
  maxMessageBytes,
  log,
  register: (s) => addService(s, VaeService, vaeHandlers(stage, settings, log)),
});
server.health.setStatus("", "SERVING");
server.health.setStatus(VaeService.typeName, "SERVING");
log.info("ready", { model: pkg.name, address: server.address, scaleFactor: stage.scaleFactor });

onTerminate(log, async () => {
  await server.shutdown({ delayMs: settings.shutdownDelayMs, graceMs: settings.shutdownGraceMs });
  await Promise.all([encoder.close(), decoder.close()]);
  await telemetry.shutdown();
});
