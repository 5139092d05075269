// text-encoder service: TextEncoderService.Encode over the package's tokenizer, text encoder and
// task classifier. Wiring only; the work is createTextStage in @emuedit/stages.
import { loadModelPackage } from "@emuedit/model-package";
import { addService, TextEncoderService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { createTextStage, openComponent } from "@emuedit/stages";
import { modelCallObserver, observeModelQueues, startTelemetry } from "@emuedit/telemetry";
import { textEncoderHandlers } from "./handlers.js";
import { textEncoderSettings } from "./settings.js";

const settings = readSettings(textEncoderSettings);
const log = createLogger("text-encoder", { level: settings.logLevel });
const telemetry = await startTelemetry({
  serviceName: "emuedit-text-encoder",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
  replicaPort: settings.port,
});

const pkg = await loadModelPackage(settings.modelDir);
const textEncoder = await openComponent(pkg, pkg.textEncoder, "text_encoder", { ...settings, observer: modelCallObserver("text_encoder") });
const taskClassifier = pkg.taskClassifier
  ? await openComponent(pkg, pkg.taskClassifier, "task_classifier", { ...settings, observer: modelCallObserver("task_classifier") })
  : null;
const stage = createTextStage(pkg, { textEncoder, taskClassifier });
observeModelQueues({
  text_encoder: () => ({ waiting: textEncoder.queueDepth(), running: textEncoder.activeRuns() }),
  ...(taskClassifier ? { task_classifier: () => ({ waiting: taskClassifier.queueDepth(), running: taskClassifier.activeRuns() }) } : {}),
});

// Largest reply: maxTexts rows of [L,D] + [D] + [T] float32.
const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;
const maxMessageBytes = messageLimitBytes(settings.maxTexts * (l * d + d + pkg.tasks.length) * 4 + settings.maxTexts * settings.maxTextChars * 4);
const server = await startGrpcServer({
  name: "text-encoder",
  host: settings.host,
  port: settings.port,
  maxMessageBytes,
  log,
  register: (s) => addService(s, TextEncoderService, textEncoderHandlers(stage, settings, log)),
});
server.health.setStatus("", "SERVING");
server.health.setStatus(TextEncoderService.typeName, "SERVING");
log.info("ready", { model: pkg.name, address: server.address, tasks: pkg.tasks.length });

onTerminate(log, async () => {
  await server.shutdown({ delayMs: settings.shutdownDelayMs, graceMs: settings.shutdownGraceMs });
  await Promise.all([textEncoder.close(), taskClassifier?.close()]);
  await telemetry.shutdown();
});
