// `emuedit register-task`: put a task entry into the NATS KV registry the gateways watch.
import { readFile } from "node:fs/promises";
import { connectNats, decodeTaskEntry, openTaskRegistry, PACKAGE_ORIGIN, TASK_BUCKET, type TaskEntry, type TaskRegistry } from "@emuedit/nats";
import type { RegisterTaskCommand } from "./args.js";
import type { Io } from "./edit.js";
import { InputFileError } from "./errors.js";

/** Entries written by hand or by task inversion; seeding from a model package never replaces them. */
export const USER_ORIGIN = "user";

export async function runRegisterTask(cmd: RegisterTaskCommand, io: Io): Promise<void> {
  let bytes: Uint8Array;
  let name: string;
  try {
    bytes = await readFile(cmd.entry);
    name = String((JSON.parse(Buffer.from(bytes).toString("utf8")) as { name?: unknown }).name ?? "");
  } catch (err) {
    throw new InputFileError(`cannot read a task entry from ${cmd.entry}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // The registry's own decoder validates the entry (name, id, embedding...) before anything is sent.
  let entry;
  try {
    entry = decodeTaskEntry(name, bytes);
  } catch (err) {
    throw new InputFileError(`${cmd.entry}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // Default reconnects: a bounded count breaks the first connect to a server list (connectNats);
  // with every server down the first connect still fails at once.
  const nc = await connectNats(cmd.nats, { name: "emuedit-cli" });
  try {
    const registry = await openTaskRegistry(nc);
    await refuseForeignLength(registry, entry, cmd.entry);
    const revision = await registry.put({ ...entry, origin: entry.origin ?? USER_ORIGIN });
    io.stdout.write(
      cmd.json
        ? `${JSON.stringify({ bucket: TASK_BUCKET, key: entry.name, revision })}\n`
        : `registered task ${entry.name} (${entry.embedding.length} values) in ${TASK_BUCKET}, revision ${revision}\n`,
    );
  } finally {
    await nc.close();
  }
}

/**
 * A task vector only means something to the model it was learned on, and the UNet takes exactly
 * its own length. The entries a gateway seeded from its model package carry that length, so an
 * entry of another length is refused here, where the user can act on it, rather than failing
 * every edit that names the task later. An empty registry (no gateway has run) has nothing to
 * compare with and accepts any length.
 */
async function refuseForeignLength(registry: TaskRegistry, entry: TaskEntry, file: string): Promise<void> {
  const served = new Set(
    (await registry.list({ onInvalid: () => undefined }))
      .filter((t) => t.origin?.startsWith(PACKAGE_ORIGIN))
      .map((t) => t.embedding.length),
  );
  if (served.size === 0 || served.has(entry.embedding.length)) return;
  throw new InputFileError(
    `${file}: the task embedding has ${entry.embedding.length} values, but the model whose tasks are in ${TASK_BUCKET} ` +
      `takes ${[...served].sort((a, b) => a - b).join(" or ")}; learn the task on that model (training.invert --package <its package>)`,
  );
}
