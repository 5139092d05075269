// A stage's replicas as the gateway's channels see them: the address setting's forms, round
// robin over real gRPC servers on loopback, a replica that starts later, and a DNS name that
// gains its record while the channel runs (a real DNS server on 127.0.0.1).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { addService, createClient, createHealthService, Health, parseReplicaAddress, replicaTarget, resolveReplicas } from "@emuedit/proto";
import { readSettings, SettingsError } from "@emuedit/service-kit";
import { freePort, startDnsServer, waitFor } from "@emuedit/testing";
import { stageChannelOptions } from "../src/downstream.js";
import { gatewaySettings } from "../src/settings.js";

/** A health server on 127.0.0.1 that counts the checks it answers. */
async function replica(port = 0): Promise<{ port: number; checks: () => number; stop: () => void }> {
  const health = createHealthService();
  let checks = 0;
  const server = new Server();
  addService(server, Health, {
    ...health.impl,
    check: (req, ctx) => {
      checks++;
      return health.impl.check(req, ctx);
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port: bound, checks: () => checks, stop: () => server.forceShutdown() };
}

const channelOptions = stageChannelOptions({ maxMessageBytes: 4 << 20, resolveIntervalMs: 200 });
const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe("replica addresses", () => {
  test("replicas - the three forms parse; a bad address fails start-up naming its setting", () => {
    assert.deepEqual(parseReplicaAddress("unet:50063").names, [{ host: "unet", port: 50063 }]);
    assert.deepEqual(parseReplicaAddress(" 127.0.0.1:1, 127.0.0.1:2 ").names, [
      { host: "127.0.0.1", port: 1 },
      { host: "127.0.0.1", port: 2 },
    ]);
    const headless = parseReplicaAddress("dns:///unet-headless.emuedit.svc.cluster.local:50063");
    assert.deepEqual(headless.names, [{ host: "unet-headless.emuedit.svc.cluster.local", port: 50063 }]);
    assert.equal(headless.dnsServer, undefined);
    assert.equal(parseReplicaAddress("dns://10.0.0.10:53/unet:1").dnsServer, "10.0.0.10:53");
    assert.deepEqual(parseReplicaAddress("[::1]:7").names, [{ host: "::1", port: 7 }]);

    for (const bad of ["unet", "unet:", "unet:0", "unet:70000", "a:1,,b:2", "http://unet:1", "dns:///a:1,b:2", "un et:1", "[unet]:1"]) {
      assert.throws(() => parseReplicaAddress(bad), Error, bad);
    }
    assert.throws(
      () => readSettings(gatewaySettings, { EMUEDIT_UNET_ADDRESS: "127.0.0.1:1,unet", EMUEDIT_VAE_ADDRESS: "vae:99999" }),
      (err: unknown) => {
        assert.ok(err instanceof SettingsError);
        assert.match(err.message, /EMUEDIT_UNET_ADDRESS: "unet" is not host:port; expected host:port, a list/);
        assert.match(err.message, /EMUEDIT_VAE_ADDRESS: port 99999 of "vae:99999" is outside 1\.\.65535/);
        return true;
      },
    );
  });

  test("replicas - a list is spread round robin over its ready replicas; one started later gets work", async () => {
    const a = await replica();
    const b = await replica();
    const laterPort = await freePort();
    cleanup.push(a.stop, b.stop);
    const client = createClient(Health, replicaTarget(parseReplicaAddress(`127.0.0.1:${a.port},127.0.0.1:${b.port},127.0.0.1:${laterPort}`)), { channelOptions });
    cleanup.push(() => client.close());
    await client.waitForReady(5000);
    // Both answer once their connections are up; the third is not listening yet.
    await waitFor(async () => {
      await client.check({ service: "" }, { deadlineMs: 2000 });
      return a.checks() > 0 && b.checks() > 0;
    }, { timeoutMs: 5000, intervalMs: 10, description: "both replicas answer" });
    const [a0, b0] = [a.checks(), b.checks()];
    for (let i = 0; i < 20; i++) await client.check({ service: "" }, { deadlineMs: 2000 });
    assert.equal(a.checks() - a0 + (b.checks() - b0), 20);
    assert.ok(Math.abs(a.checks() - a0 - (b.checks() - b0)) <= 1, `round robin: ${a.checks() - a0} vs ${b.checks() - b0}`);

    // The third replica starts: within the reconnect backoff (at most 1 s) it gets its share.
    const later = await replica(laterPort);
    cleanup.push(later.stop);
    await waitFor(async () => {
      await client.check({ service: "" }, { deadlineMs: 2000 });
      return later.checks() > 0;
    }, { timeoutMs: 10_000, intervalMs: 20, description: "the replica started later gets calls" });
  });

  test("replicas - a DNS name's record added later is used without a new channel (periodic re-resolution)", async () => {
    const dns = await startDnsServer();
    const r = await replica();
    cleanup.push(r.stop, () => dns.close());
    const address = parseReplicaAddress(`dns://${dns.address}/unet.emuedit.test:${r.port}`);
    await assert.rejects(resolveReplicas(address), /ENOTFOUND|NOTFOUND/);
    const client = createClient(Health, replicaTarget(address), { channelOptions });
    cleanup.push(() => client.close());
    // No record: nothing to connect to.
    await assert.rejects(client.waitForReady(1000));
    assert.equal(client.isReady(), false);

    const added = Date.now();
    dns.setRecords("unet.emuedit.test", ["127.0.0.1"]);
    await client.waitForReady(5000);
    const tookMs = Date.now() - added;
    assert.equal(await (await client.check({ service: "" }, { deadlineMs: 2000 })).status, 1 /* SERVING */);
    assert.ok(r.checks() > 0);
    assert.ok(dns.queries("unet.emuedit.test") >= 2, "the name was looked up again");
    assert.deepEqual(await resolveReplicas(address), [{ host: "127.0.0.1", port: r.port }]);
    // The bound is the resolve interval (200 ms here) plus a connect; generous for a loaded machine.
    assert.ok(tookMs < 5000, `new record used after ${tookMs} ms`);
    // Connected and healthy, the name is still looked up on the interval: a record added now
    // (another replica) would be found the same way, with no connection lost to prompt it.
    const asked = dns.queries("unet.emuedit.test");
    await waitFor(() => dns.queries("unet.emuedit.test") >= asked + 2, { timeoutMs: 5000, intervalMs: 50, description: "periodic lookups while ready" });
    assert.equal(client.isReady(), true);
  });
});
