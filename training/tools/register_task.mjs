// Registers a learned task (a tasks.json-shaped entry) in the running system's task registry:
// NATS KV bucket "emuedit_tasks", key = task name, value = the entry as UTF-8 JSON.
// Run with cwd packages/nats (so @nats-io/* resolve):
//   node ../../training/tools/register_task.mjs <entry.json> [nats-url]
// nats-url defaults to $NATS_URL or nats://127.0.0.1:4222.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "package.json"));
const { connect } = await import(require.resolve("@nats-io/transport-node"));
const { Kvm } = await import(require.resolve("@nats-io/kv"));

const [entryPath, urlArg] = process.argv.slice(2);
const entry = JSON.parse(readFileSync(entryPath, "utf8"));
if (!/^[a-z0-9_-]+$/.test(entry.name)) throw new Error(`invalid task name ${JSON.stringify(entry.name)}`);
const servers = urlArg ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers });
try {
  const kvm = new Kvm(nc);
  let kv;
  try {
    kv = await kvm.create("emuedit_tasks", { history: 1 });
  } catch {
    kv = await kvm.open("emuedit_tasks");
  }
  const value = new TextEncoder().encode(JSON.stringify(entry));
  const revision = await kv.put(entry.name, value);
  process.stdout.write(JSON.stringify({ bucket: "emuedit_tasks", key: entry.name, revision }) + "\n");
} finally {
  await nc.drain();
}
