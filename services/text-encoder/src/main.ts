// text-encoder service: TextEncoderService.Encode over the package's tokenizer, text encoder and
// task classifier. Wiring only; the work is createTextStage in @emuedit/pipeline.
import { loadModelPackage } from "@emuedit/model-package";
import { createSessionPool } from "@emuedit/onnx-runtime";
import { createTextStage } from "@emuedit/pipeline";
import { addService, TextEncoderService } from "@emuedit/proto";
import { createLogger, messageLimitBytes, onTerminate, readSettings, startGrpcServer } from "@emuedit/service-kit";
import { startTelemetry } from "@emuedit/telemetry";
import { textEncoderHandlers } from "./handlers.js";
import { textEncoderSettings } from "./settings.js";

const log = createLogger("text-encoder");
const settings = readSettings(textEncoderSettings);
const telemetry = await startTelemetry({
  serviceName: "emuedit-text-encoder",
  ...(settings.metricsPort ? { metricsPort: settings.metricsPort } : {}),
  ...(settings.otlpEndpoint ? { otlpEndpoint: settings.otlpEndpoint } : {}),
});

const pkg = await loadModelPackage(settings.modelDir);
const poolSettings = { workers: settings.workers, intraOpThreads: settings.intraOpThreads, maxQueue: settings.maxQueue };
const textEncoder = await createSessionPool({ modelPath: pkg.textEncoder.path, name: "text_encoder", ...poolSettings });
const taskClassifier = pkg.taskClassifier
  ? await createSessionPool({ modelPath: pkg.taskClassifier.path, name: "task_classifier", ...poolSettings })
  : null;
const stage = createTextStage(pkg, { textEncoder, taskClassifier });

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
  await server.shutdown(settings.shutdownGraceMs);
  await Promise.all([textEncoder.close(), taskClassifier?.close()]);
  await telemetry.shutdown();
});
