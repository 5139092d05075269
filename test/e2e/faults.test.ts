// Faults injected into a running system: a model service killed, NATS gone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { waitFor } from "@emuedit/testing";
import { createClient, EditorService } from "@emuedit/proto";
import { ACCEPT_ANY_TASK, errorBody, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

let sys: RunningSystem;

before(async () => {
  sys = await launchSystem({ modelDir: FIXTURE_MODEL, privateNats: true, onLine: () => undefined, env: ACCEPT_ANY_TASK });
});

after(async () => {
  await sys?.stop();
});

describe("faults", () => {
  for (const victim of ["vae", "text-encoder", "unet"] as const) {
    test(`faults - ${victim} killed: 503 with Retry-After within the deadline, then recovery`, async () => {
      await sys.kill(victim);
      const started = Date.now();
      const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make the circle blue", steps: "2", timeout_ms: "10000" });
      const elapsed = Date.now() - started;
      assert.equal(res.status, 503, await res.clone().text());
      assert.ok(Number(res.headers.get("retry-after")) > 0, "Retry-After set");
      assert.equal((await errorBody(res)).code, "unavailable");
      assert.ok(elapsed < 10000, `answered in ${elapsed} ms, inside the 10 s deadline`);

      const ready = await fetch(`${sys.httpUrl}/readyz`);
      assert.equal(ready.status, 503);
      const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
      assert.notEqual(checks[victim], "SERVING");

      // Recovery: the gateway's channel reconnects within its backoff (at most 1 s) once the
      // service is back; no gateway restart.
      await sys.restart(victim);
      const back = Date.now();
      await waitFor(async () => (await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make the circle blue", steps: "2" })).status === 200, {
        timeoutMs: 5000,
        intervalMs: 100,
        description: `edits succeed again after ${victim} restarted`,
      });
      assert.ok(Date.now() - back < 5000);
      assert.equal((await fetch(`${sys.httpUrl}/readyz`)).status, 200);
    });
  }

  test("faults - SIGTERM drains: the in-flight edit completes, then the service exits 0", async () => {
    const edit = postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: "150", timeout_ms: "30000" });
    // Let the edit reach the denoiser, then ask the unet to stop.
    await new Promise((r) => setTimeout(r, 300));
    sys.processes.unet.signal("SIGTERM");
    const res = await edit;
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await sys.processes.unet.exited, 0);
    await sys.restart("unet");
  });

  test("faults - NATS down: edits still succeed without previews; NATS back: progress returns", async () => {
    const nats = sys.natsServer!;
    nats.kill();
    await waitFor(async () => (await fetch(`${sys.httpUrl}/readyz`)).status === 503, { timeoutMs: 5000, intervalMs: 50, description: "gateway sees NATS down" });
    const started = Date.now();
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "remove the circle", task: "remove", steps: "4", timeout_ms: "20000" });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(Date.now() - started < 5000, `edit took ${Date.now() - started} ms with NATS down`);
    const grpcDown = createClient(EditorService, sys.grpcAddress);
    try {
      const events = [];
      for await (const ev of grpcDown.editStream({ edit: { image: await sceneBytes(), instruction: "x", task: "remove", steps: 3 } }, { deadlineMs: 20000 })) events.push(ev.event.case);
      assert.deepEqual(events, ["result"], "no progress while NATS is down, but a result");
    } finally {
      grpcDown.close();
    }

    await nats.restart();
    await waitFor(async () => (await fetch(`${sys.httpUrl}/readyz`)).status === 200, { timeoutMs: 15000, intervalMs: 200, description: "ready after NATS is back" });
    const client = createClient(EditorService, sys.grpcAddress);
    try {
      const steps = await waitFor(async () => {
        const seen: number[] = [];
        for await (const ev of client.editStream({ edit: { image: await sceneBytes(), instruction: "x", task: "remove", steps: 3 } }, { deadlineMs: 20000 })) {
          if (ev.event.case === "progress") seen.push(ev.event.value.step);
        }
        return seen.length === 3 ? seen : null;
      }, { timeoutMs: 15000, intervalMs: 300, description: "progress events again" });
      assert.deepEqual(steps, [1, 2, 3]);
    } finally {
      client.close();
    }
  });
});
