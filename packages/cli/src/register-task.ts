// `emuedit register-task`: put a task entry into the NATS KV registry the gateways watch.
import { readFile } from "node:fs/promises";
import { connectNats, decodeTaskEntry, openTaskRegistry, TASK_BUCKET } from "@emuedit/nats";
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
  const nc = await connectNats(cmd.nats, { name: "emuedit-cli", maxReconnectAttempts: 0 });
  try {
    const registry = await openTaskRegistry(nc);
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
