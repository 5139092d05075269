// `emuedit keys` against a real nats-server: a created key is stored only as its hash, listed
// without it, and revoked; bad arguments are usage errors.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { API_KEY_BUCKET, apiKeyMatches, connectNats, openApiKeyStore, sha256Hex } from "@emuedit/nats";
import { Kvm } from "@nats-io/kv";
import { startNatsServer, type NatsServerHandle } from "@emuedit/testing";
import { ExitCode, main } from "../src/index.js";
import { Capture } from "./fixtures.js";

let nats: NatsServerHandle;
before(async () => (nats = await startNatsServer()));
after(async () => nats?.stop());

function io() {
  const stdout = new Capture();
  const stderr = new Capture();
  return { io: { stdout, stderr }, out: stdout, err: stderr };
}

describe("keys", () => {
  test("keys - create prints the key once, the bucket holds only its hash, list and revoke work", async () => {
    const c = io();
    assert.equal(await main(["keys", "create", "--name", "ci bot", "--scope", "edit", "--scope", "admin", "--rate", "2.5", "--concurrency", "3", "--json", "--nats", nats.url], c.io as never), ExitCode.ok, c.err.text);
    const created = JSON.parse(c.out.text) as { key: string; id: string; scopes: string[]; limits: Record<string, number> };
    assert.match(created.key, /^emk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ["edit", "admin"]);
    assert.deepEqual(created.limits, { ratePerS: 2.5, maxConcurrentEdits: 3 });

    const nc = await connectNats(nats.url);
    try {
      const raw = await (await new Kvm(nc).open(API_KEY_BUCKET)).get(created.id);
      const stored = Buffer.from(raw!.value).toString("utf8");
      assert.ok(!stored.includes(created.key.slice(21)), "the secret is not stored");
      assert.ok(stored.includes(sha256Hex(created.key)), "its SHA-256 is");
      const record = await (await openApiKeyStore(nc)).get(created.id);
      assert.ok(record && apiKeyMatches(record, created.key) && !apiKeyMatches(record, `${created.key.slice(0, -1)}x`));

      const l = io();
      assert.equal(await main(["keys", "list", "--nats", nats.url], l.io as never), ExitCode.ok);
      assert.match(l.out.text, new RegExp(`${created.id}\\s+edit,admin\\s+\\S+\\s+ci bot`));
      assert.ok(!l.out.text.includes(created.key));

      const r = io();
      assert.equal(await main(["keys", "revoke", created.id, "--nats", nats.url], r.io as never), ExitCode.ok, r.err.text);
      assert.equal(await (await openApiKeyStore(nc)).get(created.id), null);
      const again = io();
      assert.equal(await main(["keys", "revoke", created.id, "--nats", nats.url], again.io as never), ExitCode.usage);
      assert.match(again.err.text, /no API key with id/);
    } finally {
      await nc.close();
    }
  });

  test("keys - bad arguments are usage errors", async () => {
    for (const argv of [
      ["keys"],
      ["keys", "create"],
      ["keys", "create", "--name", "x", "--scope", "root"],
      ["keys", "create", "--name", "x", "--burst", "1.5"],
      ["keys", "revoke"],
      ["keys", "rotate"],
    ]) {
      const t = io();
      assert.equal(await main(argv, t.io as never), ExitCode.usage, argv.join(" "));
      assert.match(t.err.text, /^emuedit: /);
    }
  });
});
