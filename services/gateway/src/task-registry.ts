// The gateway's view of the task registry: seed the NATS KV bucket from the model package
// (idempotent), then serve lookups from an in-memory cache that a KV watch keeps current.
import type { ModelPackage } from "@emuedit/model-package";
import { createHash } from "node:crypto";
import { createTaskCache, openTaskRegistry, PACKAGE_ORIGIN, type TaskCache, type TaskEntry } from "@emuedit/nats";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@emuedit/service-kit";
import { observeTaskCache } from "./metrics.js";

/** "package:<name>:<12 hex of sha256 over the task table>": changes whenever the table does. */
export function packageOrigin(pkg: ModelPackage): string {
  const h = createHash("sha256");
  for (const t of pkg.tasks) {
    h.update(`${t.id}\0${t.name}\0`);
    h.update(new Uint8Array(t.embedding.buffer, t.embedding.byteOffset, t.embedding.byteLength));
  }
  return `${PACKAGE_ORIGIN}${pkg.name}:${h.digest("hex").slice(0, 12)}`;
}

export interface TaskRegistrySetup {
  /** Seed the bucket from the model package (EMUEDIT_SEED_TASKS). */
  readonly seed: boolean;
  /** Copies of the bucket in the NATS cluster (EMUEDIT_NATS_REPLICAS). */
  readonly replicas: number;
}

export async function startTaskCache(nc: NatsConnection, pkg: ModelPackage, setup: TaskRegistrySetup, log: Logger): Promise<TaskCache> {
  const registry = await openTaskRegistry(nc, { replicas: setup.replicas });
  if (setup.seed && pkg.tasks.length > 0) {
    const origin = packageOrigin(pkg);
    const r = await registry.seed(pkg.tasks.map((t) => ({ ...t, examples: [...t.examples], origin })));
    log.info("task registry seeded", { origin, created: r.created, kept: r.kept, replaced: r.replaced });
  }
  // An entry learned on another model (a task vector of another length) stays usable for nothing:
  // say so when it arrives instead of only in each refused edit (the UNet's 400).
  const E = pkg.unet.taskEmbeddingDim;
  const warnIfForeign = (t: TaskEntry) => {
    if (E !== null && t.embedding.length !== E) {
      log.warn("task registry entry does not fit this model; edits naming it will be refused", {
        task: t.name,
        values: t.embedding.length,
        model_values: E,
      });
    }
  };
  const cache = createTaskCache(registry, {
    onError: (err) => log.warn("task registry watch error", { error: err.message }),
    onChange: (c) => {
      log.info("task registry change", { op: c.op, task: c.name });
      if (c.task) warnIfForeign(c.task);
    },
  });
  await cache.start();
  cache.list().forEach(warnIfForeign);
  observeTaskCache(cache.stats);
  return cache;
}
