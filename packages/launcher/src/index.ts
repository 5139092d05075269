// Public surface of @emuedit/launcher: start the whole system (pnpm start, end-to-end tests).
export { launchSystem, REPO_ROOT, SERVICE_NAMES } from "./launch-system.js";
export type { LaunchOptions, RunningSystem, ServiceName } from "./launch-system.js";
export { spawnService } from "./service-process.js";
export type { ServiceProcess } from "./service-process.js";
