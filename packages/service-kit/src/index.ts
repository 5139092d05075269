// Public surface of @emuedit/service-kit: what every service process needs around its handlers
// (settings, logging, a gRPC server with health and graceful shutdown, error mapping).
export { readSettings, describeSettings, intSetting, floatSetting, stringSetting, boolSetting, SettingsError } from "./settings.js";
export type { SettingSpec } from "./settings.js";
export { createLogger } from "./log.js";
export type { Logger, LogFields } from "./log.js";
export { startGrpcServer, onTerminate } from "./grpc-server.js";
export type { GrpcServerHandle, GrpcServerOptions } from "./grpc-server.js";
export { toGrpcError } from "./grpc-errors.js";
export { modelServiceSettings, messageLimitBytes, REPO_ROOT, DEFAULT_MODEL_DIR } from "./model-service.js";
