// Public surface of @emuedit/testing: the test-only harness. Private nats-servers, free ports
// and polling come from @emuedit/launcher (which `pnpm start` runs too); this adds helpers only
// tests need. No runtime package depends on this one.
export {
  canConnect,
  findNatsServer,
  freePort,
  NatsServerNotFoundError,
  NatsServerStartError,
  readServerInfo,
  startNatsCluster,
  startNatsServer,
  tempDir,
  waitFor,
  WaitTimeoutError,
} from "@emuedit/launcher";
export type {
  NatsClusterHandle,
  NatsClusterNode,
  NatsClusterOptions,
  NatsServerHandle,
  NatsServerOptions,
  TempDir,
  WaitForOptions,
} from "@emuedit/launcher";
export { RESPONSE_AFTER_RESET_MS, resetOrFail } from "./early-response.js";
export { startDnsServer } from "./dns-server.js";
export type { DnsServer } from "./dns-server.js";
