// The gateway's view of the task registry: seed the NATS KV bucket from the model package
// (idempotent), then serve lookups from an in-memory cache that a KV watch keeps current.
import type { ModelPackage } from "@emuedit/model-package";
import { createTaskCache, openTaskRegistry, type TaskCache } from "@emuedit/nats";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@emuedit/service-kit";

export async function startTaskCache(nc: NatsConnection, pkg: ModelPackage, seed: boolean, log: Logger): Promise<TaskCache> {
  const registry = await openTaskRegistry(nc);
  if (seed && pkg.tasks.length > 0) {
    const r = await registry.seed(pkg.tasks.map((t) => ({ ...t, examples: [...t.examples] })));
    log.info("task registry seeded", { created: r.created, kept: r.kept });
  }
  const cache = createTaskCache(registry, {
    onError: (err) => log.warn("task registry watch error", { error: err.message }),
    onChange: (c) => log.info("task registry change", { op: c.op, task: c.name }),
  });
  await cache.start();
  return cache;
}
