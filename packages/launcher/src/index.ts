// Public surface of @emuedit/launcher: start the whole system (pnpm start, end-to-end tests),
// and the process helpers it is built from (a private nats-server, free ports, polling).
export { launchSystem, REPO_ROOT, SERVICE_NAMES } from "./launch-system.js";
export type { LaunchOptions, ModelServiceName, Replica, RunningSystem, ServiceEntry, ServiceName } from "./launch-system.js";
export { spawnService } from "./service-process.js";
export type { ServiceProcess } from "./service-process.js";
export { NatsServerNotFoundError, NatsServerStartError, WaitTimeoutError } from "./errors.js";
export { findNatsServer } from "./nats-server-binary.js";
export { readServerInfo, startNatsServer } from "./nats-server.js";
export type { NatsServerHandle, NatsServerOptions } from "./nats-server.js";
export { startNatsCluster } from "./nats-cluster.js";
export type { NatsClusterHandle, NatsClusterNode, NatsClusterOptions } from "./nats-cluster.js";
export { canConnect, freePort, tempDir } from "./net.js";
export type { TempDir } from "./net.js";
export { waitFor } from "./wait-for.js";
export type { WaitForOptions } from "./wait-for.js";
