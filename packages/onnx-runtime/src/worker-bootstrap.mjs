// Entry of every session worker, in plain JavaScript so that Node can start it without a
// TypeScript loader. Workers inherit the parent's execArgv (`--import tsx`), but tsx only
// registers its hooks in worker threads on newer Node lines (22.22+/24.11+); on Node 20 the
// worker cannot import .ts files until tsx is registered here. Importing the entry first and
// registering only on ERR_UNKNOWN_FILE_EXTENSION avoids a second registration where tsx already
// did it. The retry uses a fresh URL because a failed import is cached per URL.
import { workerData } from "node:worker_threads";

const entry = new URL("./session-worker.ts", import.meta.url);
try {
  await import(entry.href);
} catch (err) {
  if (err?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw err;
  const { register } = await import("tsx/esm/api");
  register();
  await import(`${entry.href}?tsx=${workerData?.name ?? "worker"}`);
}
