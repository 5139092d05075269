// Public surface of @emuedit/service-kit: what every service process needs around its handlers
// (settings, logging, a gRPC server with health and graceful shutdown).
export { readSettings, describeSettings, intSetting, floatSetting, stringSetting, boolSetting, choiceSetting, SettingsError } from "./settings.js";
export type { SettingSpec } from "./settings.js";
export { createLogger, LOG_LEVELS } from "./log.js";
export type { Logger, LogFields, LogLevel, LoggerOptions } from "./log.js";
export { startGrpcServer, onTerminate } from "./grpc-server.js";
export type { DrainOptions, GrpcServerHandle, GrpcServerOptions } from "./grpc-server.js";
export {
  modelServiceSettings,
  processSettings,
  samplingLimitSettings,
  messageLimitBytes,
  REPO_ROOT,
  DEFAULT_MODEL_DIR,
  EXECUTION_PROVIDERS,
} from "./model-service.js";
export type { ExecutionProvider } from "./model-service.js";
export { natsConnectionSettings } from "./nats-settings.js";
