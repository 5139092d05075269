// Scale to zero: the gateway runs with no unet at all (EMUEDIT_COLD_START_WAIT_MS set). An edit
// that arrives waits for a ready replica instead of failing, shows as waiting in the gateway's
// metrics (what an autoscaler reads), and completes once a unet starts; one whose deadline
// passes while it waits is a 504.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { waitFor } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, errorBody, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";
import { startOtlpCollector } from "./otlp-collector.js";

const COLD_START_WAIT_MS = 120_000;
const START_AFTER_MS = 5000;
let sys: RunningSystem;
let collector: Awaited<ReturnType<typeof startOtlpCollector>>;

before(async () => {
  collector = await startOtlpCollector();
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    unstarted: { unet: 1 },
    metrics: true,
    onLine: () => undefined,
    env: {
      ...ACCEPT_ANY_TASK,
      EMUEDIT_COLD_START_WAIT_MS: String(COLD_START_WAIT_MS),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
  });
});

after(async () => {
  await sys?.stop();
  await collector?.close();
});

const waitingEdits = async () => {
  const text = await (await fetch(`http://127.0.0.1:${sys.gatewayMetricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => /^emuedit_stage_waiting_edits\{[^}]*stage="unet"[^}]*\} /.test(l));
  return { value: line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : NaN, text };
};

describe("scale to zero", () => {
  test("scale to zero - no unet: the gateway is ready and says so; an edit waits, a unet starts 5 s later, the edit returns 200", async () => {
    const ready = await fetch(`${sys.httpUrl}/readyz`);
    assert.equal(ready.status, 200, "a stage without replicas does not make the gateway unready while edits wait for it");
    const body = (await ready.json()) as { checks: Record<string, string>; replicas: Record<string, { serving: number; total: number }> };
    assert.notEqual(body.checks.unet, "SERVING");
    assert.deepEqual(body.replicas.unet, { serving: 0, total: 1 });
    assert.equal((await waitingEdits()).value, 0);

    const sent = Date.now();
    const pending = postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: "4", timeout_ms: "180000" });
    await waitFor(async () => (await waitingEdits()).value === 1, { timeoutMs: 10_000, intervalMs: 100, description: "the edit waits for a unet" });
    await new Promise((r) => setTimeout(r, Math.max(0, START_AFTER_MS - (Date.now() - sent))));
    assert.equal((await waitingEdits()).value, 1, "still waiting after 5 s");
    await sys.startReplica("unet", 0);

    const res = await pending;
    assert.equal(res.status, 200, await res.clone().text());
    const timing = /cold_start_unet;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "");
    assert.ok(timing, `Server-Timing names the wait: ${res.headers.get("server-timing")}`);
    assert.ok(Number(timing[1]) >= START_AFTER_MS - 500, `waited ${timing[1]} ms`);
    const after = await waitingEdits();
    assert.equal(after.value, 0, "no edit waits any more");
    assert.match(after.text, /^emuedit_cold_start_wait_ms_count\{[^}]*stage="unet"[^}]*\} 1$/m);

    // (Other stages may show short waits too: the gateway's channels connect while it runs.)
    const span = await waitFor(() => collector.spans.find((s) => s.name === "emuedit.cold_start_wait" && s.attributes["emuedit.stage"] === "unet") ?? null, {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: "the wait's span",
    });
    assert.equal(span.service, "emuedit-gateway");
    assert.ok(Number(span.attributes["emuedit.cold_start_wait_ms"]) >= START_AFTER_MS - 500, JSON.stringify(span.attributes));
  });

  test("scale to zero - an edit whose deadline passes while it waits for a replica is a 504", async () => {
    await sys.kill("unet");
    await waitFor(async () => !((await (await fetch(`${sys.httpUrl}/readyz`)).json()) as { checks: Record<string, string> }).checks.unet!.startsWith("SERVING"), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: "the gateway sees no unet",
    });
    const started = Date.now();
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: "4", timeout_ms: "3000" });
    const elapsed = Date.now() - started;
    assert.equal(res.status, 504, await res.clone().text());
    const error = await errorBody(res);
    assert.equal(error.code, "deadline_exceeded");
    // Usually "... while it waited N ms for a ready unet replica"; when the gateway's channel had not
    // yet seen the kill, the call went out first and the deadline passed while it was queued.
    assert.match(error.message, /deadline passed/);
    assert.ok(elapsed >= 2500 && elapsed < 15_000, `answered at the deadline (${elapsed} ms)`);
    assert.equal((await waitingEdits()).value, 0);
  });
});
