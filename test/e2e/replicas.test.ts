// Replicas behind every stage: two unet and two vae processes (and a third unet started while
// the system runs) behind one gateway, which spreads calls round robin over the ready ones.
// Per-replica work is read from each replica's own /metrics; a replica killed mid-edit hands the
// edit to the other, which resumes from the JetStream checkpoint.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { launchSystem, type ModelServiceName, type RunningSystem } from "@emuedit/launcher";
import { LATENT_SUBJECT_PREFIX } from "@emuedit/nats";
import { waitFor } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

const DENOISE = "/emuedit.v1.DenoiserService/Denoise";
const VAE_CALLS = ["/emuedit.v1.VaeService/Encode", "/emuedit.v1.VaeService/Decode"];
// Long enough that a replica can be killed between the first latent and the last step.
const LONG_STEPS = 600;

let sys: RunningSystem;
let nc: NatsConnection;
const lines: Record<string, string[]> = {};

before(async () => {
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    replicas: { unet: 3, vae: 2 },
    unstarted: { unet: 1 },
    metrics: true,
    onLine: (service, line) => void (lines[service] ??= []).push(line),
    env: { ...ACCEPT_ANY_TASK, EMUEDIT_MAX_STEPS: String(LONG_STEPS) },
  });
  nc = await connect({ servers: sys.natsUrl });
});

after(async () => {
  await nc?.close();
  await sys?.stop();
});

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The value of one series (0 when absent): `name{labels}`, labels in exposition order. */
function series(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`) || (labels === "" && l.startsWith(`${name} `)));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** Calls each replica of `service` received, summed over `methods`. */
async function callsPerReplica(service: ModelServiceName, methods: readonly string[]): Promise<number[]> {
  return Promise.all(
    sys.replicas[service].map(async (r) => {
      if (!r.process) return 0;
      const text = await scrape(r.metricsPort).catch(() => "");
      return methods.reduce((sum, m) => sum + series(text, "emuedit_grpc_server_calls_total", `method="${m}"`), 0);
    }),
  );
}

const edit = async (fields: Record<string, string>) =>
  postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: "4", ...fields });

describe("replicas", () => {
  test("replicas - two unet and two vae replicas both receive work under concurrent edits; each reports itself ready", async () => {
    // The gateway is ready once each stage has one connected replica; the second may still be in
    // the channel's reconnect backoff (at most 1 s) after starting later than the gateway.
    await waitFor(
      async () => {
        assert.equal((await edit({ steps: "1" })).status, 200);
        const [unet, vae] = await Promise.all([callsPerReplica("unet", [DENOISE]), callsPerReplica("vae", VAE_CALLS)]);
        return unet[0]! > 0 && unet[1]! > 0 && vae[0]! > 0 && vae[1]! > 0;
      },
      { timeoutMs: 30_000, intervalMs: 50, description: "every started replica has had a call" },
    );
    const unetBefore = await callsPerReplica("unet", [DENOISE]);
    const vaeBefore = await callsPerReplica("vae", VAE_CALLS);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => edit({ seed: String(i) })));
    for (const res of results) assert.equal(res.status, 200, await res.clone().text());
    const unetAfter = await callsPerReplica("unet", [DENOISE]);
    const vaeAfter = await callsPerReplica("vae", VAE_CALLS);
    const unetDelta = unetAfter.map((n, i) => n - unetBefore[i]!);
    const vaeDelta = vaeAfter.map((n, i) => n - vaeBefore[i]!);
    assert.equal(unetDelta[0]! + unetDelta[1]!, 8, `8 Denoise calls in all: ${unetDelta}`);
    assert.ok(unetDelta[0]! >= 2 && unetDelta[1]! >= 2, `both unet replicas got work (round robin): ${unetDelta}`);
    assert.equal(vaeDelta[0]! + vaeDelta[1]!, 16, `an Encode and a Decode per edit: ${vaeDelta}`);
    assert.ok(vaeDelta[0]! >= 4 && vaeDelta[1]! >= 4, `both vae replicas got work: ${vaeDelta}`);

    for (const r of [...sys.replicas.unet.slice(0, 2), ...sys.replicas.vae]) {
      assert.match(await scrape(r.metricsPort), /^emuedit_service_ready\{service="(unet|vae)"\} 1$/m, r.address);
    }
    const ready = (await (await fetch(`${sys.httpUrl}/readyz`)).json()) as { checks: Record<string, string>; replicas: Record<string, { serving: number; total: number }> };
    assert.equal(ready.checks.unet, "SERVING");
    assert.deepEqual(ready.replicas.unet, { serving: 2, total: 3 });
    assert.deepEqual(ready.replicas.vae, { serving: 2, total: 2 });
  });

  test("replicas - a unet replica killed mid-edit: the edit resumes on the other from the checkpoint, same bytes as undisturbed", async () => {
    const fields = { seed: "1234", steps: String(LONG_STEPS), timeout_ms: "120000" };
    const undisturbed = await edit(fields);
    assert.equal(undisturbed.status, 200, await undisturbed.clone().text());
    const expected = Buffer.from(await undisturbed.arrayBuffer());

    const before = await callsPerReplica("unet", [DENOISE]);
    const sub = nc.subscribe(`${LATENT_SUBJECT_PREFIX}.>`, { max: 1 });
    await nc.flush();
    const pending = edit(fields);
    for await (const _ of sub) break; // the edit's first latent is in NATS: it is mid-denoise
    const now = await callsPerReplica("unet", [DENOISE]);
    const victim = now.findIndex((n, i) => n > before[i]!);
    assert.ok(victim === 0 || victim === 1, `one replica runs the edit: ${before} -> ${now}`);
    const other = 1 - victim;
    sys.replicas.unet[victim]!.process!.signal("SIGKILL");

    const res = await pending;
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), expected, "the resumed edit's bytes equal the undisturbed edit's");
    const otherLog = lines[other === 0 ? "unet" : "unet#2"] ?? [];
    const resumed = otherLog.find((l) => l.includes("resuming from checkpoint"));
    assert.ok(resumed, "the other replica resumed the edit");
    assert.ok(Number(/step=(\d+)/.exec(resumed)?.[1]) > 0, `it continued from a step past the start: ${resumed}`);

    await sys.startReplica("unet", victim);
  });

  test("replicas - a unet replica started while the system runs receives work", async () => {
    const third = 2;
    assert.equal(sys.replicas.unet[third]!.process, null, "not started yet");
    await sys.startReplica("unet", third);
    await waitFor(
      async () => {
        await Promise.all(Array.from({ length: 3 }, (_, i) => edit({ seed: String(100 + i) })));
        return (await callsPerReplica("unet", [DENOISE]))[third]! > 0;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: "the new replica gets a Denoise" },
    );
    const ready = (await (await fetch(`${sys.httpUrl}/readyz`)).json()) as { replicas: Record<string, { serving: number; total: number }> };
    assert.deepEqual(ready.replicas.unet, { serving: 3, total: 3 });
  });
});
