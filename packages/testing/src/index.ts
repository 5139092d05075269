export { NatsServerNotFoundError, NatsServerStartError, WaitTimeoutError } from "./errors.js";
export { findNatsServer } from "./nats-server-binary.js";
export { readServerInfo, startNatsServer } from "./nats-server.js";
export type { NatsServerHandle, NatsServerOptions } from "./nats-server.js";
export { canConnect, freePort, tempDir } from "./net.js";
export type { TempDir } from "./net.js";
export { waitFor } from "./wait-for.js";
export type { WaitForOptions } from "./wait-for.js";
export { RESPONSE_AFTER_RESET_MS, resetOrFail } from "./early-response.js";
