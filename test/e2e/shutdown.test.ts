// `pnpm start` as a user runs it (scripts/start.ts in its own process), stopped with Ctrl-C
// (SIGINT) while an edit is in flight: the gateway drains first, so the edit still reaches the
// model services and returns 200 with the same bytes as an undisturbed one; then the model
// services and NATS stop, and every process exits 0.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { REPO_ROOT } from "@emuedit/launcher";
import { freePort, startNatsServer, waitFor } from "@emuedit/testing";
import { FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

interface Started {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly natsUrl: string;
  readonly banner: string;
  readonly lines: string[];
  readonly exited: Promise<number | string>;
}

/** Runs scripts/start.ts (what `pnpm start` runs) on the fixture, on free ports; resolves once it printed its banner. */
async function start(natsUrl: string): Promise<Started> {
  const [http, grpc, te, vae, unet] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", "start.ts")], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      EMUEDIT_MODEL_DIR: FIXTURE_MODEL,
      NATS_URL: natsUrl,
      EMUEDIT_GATEWAY_HTTP_PORT: String(http),
      EMUEDIT_GATEWAY_GRPC_PORT: String(grpc),
      EMUEDIT_TEXT_ENCODER_PORT: String(te),
      EMUEDIT_VAE_PORT: String(vae),
      EMUEDIT_UNET_PORT: String(unet),
      EMUEDIT_MAX_STEPS: "1000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let stdout = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter((l) => l.length > 0)));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const banner = await waitFor(() => (stdout.includes("Press Ctrl-C to stop.") ? stdout : null), {
    timeoutMs: 120_000,
    intervalMs: 100,
    description: "the start banner",
  }).catch(async (err: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`pnpm start did not come up:\n${lines.slice(-30).join("\n")}`, { cause: err });
  });
  const natsLine = /NATS\s+(nats:\/\/\S+)/.exec(banner);
  return { child, httpUrl: `http://127.0.0.1:${http}`, natsUrl: natsLine?.[1] ?? "", banner, lines, exited };
}

describe("shutdown", () => {
  test("start - reuses a NATS that answers, says so, and leaves it running on Ctrl-C", { timeout: 180_000 }, async () => {
    const nats = await startNatsServer();
    try {
      const sys = await start(nats.url);
      assert.match(sys.banner, new RegExp(`NATS\\s+${nats.url} \\(reused: a server already answered there; left running on exit\\)`));
      sys.child.kill("SIGINT");
      assert.equal(await sys.exited, 0, sys.lines.slice(-20).join("\n"));
      const nc = await connect({ servers: nats.url, reconnect: false });
      await nc.close();
    } finally {
      await nats.stop();
    }
  });

  test("start - Ctrl-C during a long edit: the edit returns 200 with the undisturbed bytes, every process exits 0", { timeout: 300_000 }, async () => {
    // Nothing answers at this address, so the launcher starts (and stops) its own nats-server.
    const sys = await start(`nats://127.0.0.1:${await freePort()}`);
    assert.match(sys.banner, /NATS\s+nats:\/\/127\.0\.0\.1:\d+ \(started here: no server answered there; temporary store, stopped with the rest\)/);
    const image = await sceneBytes();
    const fields = { image, instruction: "make the circle blue", task: "local", steps: "600", seed: "42", timeout_ms: "120000" };

    const undisturbed = await postEdit(sys.httpUrl, fields);
    assert.equal(undisturbed.status, 200, await undisturbed.clone().text());
    const expected = Buffer.from(await undisturbed.arrayBuffer());

    // The second edit is denoising (its first latent is in NATS) when Ctrl-C arrives.
    const nc = await connect({ servers: sys.natsUrl });
    const sub = nc.subscribe("emuedit.latents.>");
    const firstLatent = (async () => {
      for await (const _ of sub) return true;
      return false;
    })();
    const inFlight = postEdit(sys.httpUrl, fields);
    assert.ok(await firstLatent, "the edit started denoising");
    sub.unsubscribe();
    await nc.close();
    sys.child.kill("SIGINT");

    const res = await inFlight;
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(expected), "the same bytes as the undisturbed edit");

    assert.equal(await sys.exited, 0, sys.lines.slice(-30).join("\n"));
    assert.ok(sys.lines.some((l) => l.includes("stopped: every service exited 0")), sys.lines.slice(-10).join("\n"));
    // Stop order: the gateway is gone before a model service starts draining.
    const gatewayStopped = sys.lines.findIndex((l) => l.startsWith("[gateway]") && / info gateway: stopped$/.test(l));
    const unetDraining = sys.lines.findIndex((l) => l.startsWith("[unet]") && / info unet: draining/.test(l));
    assert.ok(gatewayStopped >= 0 && unetDraining > gatewayStopped, `gateway stopped at line ${gatewayStopped}, unet drained at ${unetDraining}`);
  });
});
