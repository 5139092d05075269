// vae service: VaeService.Encode / Decode over the package's autoencoder. Wiring only; the work
// is createVaeStage in @emuedit/pipeline.
import { loadModelPackage } from "@emuedit/model-package";
import { createSessionPool } from "@emuedit/onnx-runtime";
import { createVaeStage } from "@emuedit/pipeline";
import { addService, VaeService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { startTelemetry } from "@emuedit/telemetry";
import { vaeHandlers } from "./handlers.js";
import { vaeSettings } from "./settings.js";

const log = createLogger("vae");
const settings = readSettings(vaeSettings);
const telemetry = await startTelemetry({
  serviceName: "emuedit-vae",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
});

const pkg = await loadModelPackage(settings.modelDir);
const poolSettings = { workers: settings.workers, intraOpThreads: settings.intraOpThreads, maxQueue: settings.maxQueue };
const [encoder, decoder] = await Promise.all([
  createSessionPool({ modelPath: pkg.vaeEncoder.path, name: "vae_encoder", ...poolSettings }),
  createSessionPool({ modelPath: pkg.vaeDecoder.path, name: "vae_decoder", ...poolSettings }),
]);
const stage = createVaeStage(pkg, { encoder, decoder });

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
  await server.shutdown(settings.shutdownGraceMs);
  await Promise.all([encoder.close(), decoder.close()]);
  await telemetry.shutdown();
});
