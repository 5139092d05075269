// `emuedit keys create|list|revoke`: API keys in the NATS KV bucket every gateway watches. It
// talks to NATS directly, as register-task does: whoever can reach NATS runs the system anyway,
// so no admin key has to exist before the first key.
import { API_KEY_BUCKET, connectNats, openApiKeyStore, type ApiKeyRecord } from "@emuedit/nats";
import type { Io } from "./edit.js";
import { UsageError } from "./errors.js";
import type { KeysCommand } from "./keys-args.js";

export async function runKeys(cmd: KeysCommand, io: Io): Promise<void> {
  const nc = await connectNats(cmd.nats, { name: "emuedit-cli", maxReconnectAttempts: 0 });
  try {
    const store = await openApiKeyStore(nc, { replicas: cmd.replicas });
    switch (cmd.action) {
      case "create": {
        const { key, record } = await store.create({ name: cmd.name, scopes: cmd.scopes, limits: cmd.limits });
        io.stdout.write(
          cmd.json
            ? `${JSON.stringify({ key, ...describe(record) })}\n`
            : `${key}\n` + `created API key ${record.id} (${record.name}; scopes ${record.scopes.join(", ")}) in ${API_KEY_BUCKET}. ` + `The key is shown only now: store it.\n`,
        );
        return;
      }
      case "list": {
        const keys = await store.list();
        if (cmd.json) return void io.stdout.write(`${JSON.stringify(keys.map(describe))}\n`);
        if (keys.length === 0) return void io.stdout.write(`no API keys in ${API_KEY_BUCKET}\n`);
        for (const r of keys) {
          const limits = Object.entries(r.limits).map(([k, v]) => `${k}=${v}`).join(" ");
          io.stdout.write(`${r.id}  ${r.scopes.join(",").padEnd(10)}  ${r.createdAt}  ${r.name}${limits ? `  ${limits}` : ""}\n`);
        }
        return;
      }
      case "revoke": {
        if (!(await store.revoke(cmd.id))) throw new UsageError(`no API key with id ${cmd.id} (see emuedit keys list)`);
        io.stdout.write(cmd.json ? `${JSON.stringify({ id: cmd.id, revoked: true })}\n` : `revoked API key ${cmd.id}\n`);
        return;
      }
    }
  } finally {
    await nc.close();
  }
}

/** A record without its hash: nothing a listing needs. */
const describe = (r: ApiKeyRecord) => ({ id: r.id, name: r.name, scopes: r.scopes, created_at: r.createdAt, limits: r.limits });
