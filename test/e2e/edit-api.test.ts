// End to end across processes: a private nats-server, the four services as child processes,
// real ONNX sessions on the fixture model package (models/fixture-tiny).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { loadModelPackage } from "@emuedit/model-package";
import { createInProcessPipeline } from "@emuedit/stages";
import { openTaskRegistry } from "@emuedit/nats";
import { createClient, EditorService } from "@emuedit/proto";
import { freePort, waitFor } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, errorBody, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

const STEPS = "4";
// Long enough that a 400 ms deadline always passes mid-loop: warm, the fixture takes ~2 ms a step
// on an idle machine (150 steps, the default limit, once finished inside 400 ms in CI)
const DEADLINE_STEPS = 1000;
// an in-flight step may still finish and publish after the reply; nothing may come later than this
const LATE_MS = 250;
let sys: RunningSystem;
let nc: NatsConnection;
let metricsPort: number;
let unetMetricsPort: number;
const gatewayLines: string[] = [];

before(async () => {
  metricsPort = await freePort();
  unetMetricsPort = await freePort();
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: (service, line) => void (service === "gateway" && gatewayLines.push(line)),
    env: {
      ...ACCEPT_ANY_TASK,
      EMUEDIT_GATEWAY_METRICS_PORT: String(metricsPort),
      EMUEDIT_UNET_METRICS_PORT: String(unetMetricsPort),
      // Above the fixture scheduler's 1000 training timesteps: the gateway caps it there.
      EMUEDIT_MAX_STEPS: "5000",
    },
  });
  nc = await connect({ servers: sys.natsUrl });
});

after(async () => {
  await nc?.close();
  await sys?.stop();
});

async function pixels(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe("edit api", () => {
  test("edit - returns a decodable PNG at the input's size with the documented headers", async () => {
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes("png", 96), instruction: "make the circle blue", steps: STEPS, seed: "7" });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get("content-type"), "image/png");
    const img = await pixels(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual([img.width, img.height], [96, 96]);
    assert.match(res.headers.get("x-edit-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get("x-emuedit-seed"), "7");
    assert.ok(res.headers.get("x-emuedit-task"), "the predicted task is named");
    const confidence = Number(res.headers.get("x-emuedit-task-confidence"));
    assert.ok(confidence > 0 && confidence <= 1, `confidence ${confidence}`);
    const timing = res.headers.get("server-timing") ?? "";
    for (const stage of ["decode", "text_encode", "vae_encode", "denoise", "vae_decode", "encode"]) {
      assert.match(timing, new RegExp(`${stage};dur=\\d`), `Server-Timing names ${stage}: ${timing}`);
    }
  });

  test("edit - steps past the scheduler's training timesteps are a 400 naming the range, even under a larger EMUEDIT_MAX_STEPS", async () => {
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: "1001" });
    assert.equal(res.status, 400, await res.clone().text());
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "invalid_argument");
    assert.match(body.error.message, /steps: must be an integer in 1\.\.1000/);
  });

  test("edit - a non-square upload comes back at its own size", async () => {
    const wide = await sharp({ create: { width: 120, height: 60, channels: 3, background: "#808080" } }).png().toBuffer();
    const res = await postEdit(sys.httpUrl, { image: wide, instruction: "make the background blue", task: "background", steps: "2" });
    assert.equal(res.status, 200, await res.clone().text());
    const img = await pixels(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual([img.width, img.height], [120, 60]);
  });

  test("edit - the same seed gives identical bytes, another seed different ones", async () => {
    const image = await sceneBytes();
    const run = async (seed: string) => Buffer.from(await (await postEdit(sys.httpUrl, { image, instruction: "remove the circle", task: "remove", steps: STEPS, seed })).arrayBuffer());
    const [a, b, c] = [await run("11"), await run("11"), await run("12")];
    assert.ok(a.equals(b), "same seed, same bytes");
    assert.ok(!a.equals(c), "different seed, different bytes");
  });

  test("edit - JSON reply when the client accepts application/json", async () => {
    const res = await fetch(`${sys.httpUrl}/v1/edits`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ image: (await sceneBytes()).toString("base64"), instruction: "segment the circle", task: "segment", steps: 3, seed: 5, output_format: "webp" }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.task, "segment");
    assert.equal(body.task_predicted, false);
    assert.equal(body.seed, 5);
    assert.equal(body.mime_type, "image/webp");
    const meta = await sharp(Buffer.from(String(body.image), "base64")).metadata();
    assert.equal(meta.format, "webp");
    assert.ok(typeof (body.timings as Record<string, number>).denoise === "number");
  });

  test("edit - the distributed result equals the in-process pipeline's, pixel for pixel", async () => {
    const image = await sceneBytes();
    const res = await postEdit(sys.httpUrl, { image, instruction: "make the circle green", task: "local", steps: STEPS, seed: "99", size: "working" });
    assert.equal(res.status, 200, await res.clone().text());
    const remote = await pixels(new Uint8Array(await res.arrayBuffer()));

    const pkg = await loadModelPackage(FIXTURE_MODEL);
    const local = await createInProcessPipeline(pkg);
    try {
      const input = await pixels(image);
      const out = await local.edit({
        editId: "reference",
        image: { width: input.width, height: input.height, data: new Uint8Array(input.data) },
        instruction: "make the circle green",
        task: "local",
        sampling: { steps: Number(STEPS), guidanceScale: pkg.defaults.guidanceScale, imageGuidanceScale: pkg.defaults.imageGuidanceScale, seed: 99 },
      });
      assert.deepEqual([out.image.width, out.image.height], [remote.width, remote.height]);
      assert.ok(Buffer.from(out.image.data).equals(remote.data), "identical pixels");
    } finally {
      await local.close();
    }
  });

  test("nats - every step's latent reaches emuedit.latents.<editId> with its headers", async () => {
    const sub: Subscription = nc.subscribe("emuedit.latents.>");
    const seen: { subject: string; step: string; total: string; dtype: string; shape: string; timestep: string }[] = [];
    const collecting = (async () => {
      for await (const m of sub) {
        seen.push({
          subject: m.subject,
          step: m.headers?.get("Emuedit-Step") ?? "",
          total: m.headers?.get("Emuedit-Total-Steps") ?? "",
          dtype: m.headers?.get("Emuedit-Dtype") ?? "",
          shape: m.headers?.get("Emuedit-Shape") ?? "",
          timestep: m.headers?.get("Emuedit-Timestep") ?? "",
        });
      }
    })();
    await nc.flush();
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "add a blue square", task: "add", steps: "5", seed: "3" });
    assert.equal(res.status, 200);
    const id = res.headers.get("x-edit-id");
    await waitFor(() => seen.filter((s) => s.subject === `emuedit.latents.${id}`).length >= 5, { timeoutMs: 5000 });
    sub.unsubscribe();
    await collecting;
    const mine = seen.filter((s) => s.subject === `emuedit.latents.${id}`);
    assert.deepEqual(mine.map((s) => s.step), ["1", "2", "3", "4", "5"]);
    for (const s of mine) {
      assert.equal(s.total, "5");
      assert.equal(s.dtype, "float32");
      assert.equal(s.shape, "1,4,16,16");
      assert.ok(Number.isFinite(Number(s.timestep)));
    }
  });

  test("tasks - GET /v1/tasks lists the package's 16 tasks", async () => {
    const res = await fetch(`${sys.httpUrl}/v1/tasks`);
    const body = (await res.json()) as { tasks: { name: string }[] };
    assert.equal(body.tasks.length, 16);
    assert.ok(body.tasks.some((t) => t.name === "remove"));
  });

  test("tasks - a KV update changes the next edit's task embedding, no restart", async () => {
    const image = await sceneBytes();
    const edit = async () => Buffer.from(await (await postEdit(sys.httpUrl, { image, instruction: "make it brighter", task: "global", steps: STEPS, seed: "21" })).arrayBuffer());
    const before = await edit();
    const registry = await openTaskRegistry(nc);
    const original = await registry.get("global");
    assert.ok(original);
    await registry.put({ ...original, embedding: original.embedding.map((v) => -3 * v + 0.5) });
    try {
      await waitFor(async () => !(await edit()).equals(before), { timeoutMs: 5000, intervalMs: 50, description: "edit reflects the new embedding" });
      // A brand-new task is usable by name too.
      await registry.put({ ...original, id: 99, name: "contour-test", embedding: original.embedding });
      await waitFor(async () => (await postEdit(sys.httpUrl, { image, instruction: "outline the circle", task: "contour-test", steps: "2" })).status === 200, { timeoutMs: 5000, intervalMs: 50 });
    } finally {
      await registry.put(original);
      await registry.delete("contour-test");
    }
    await waitFor(async () => (await edit()).equals(before), { timeoutMs: 5000, intervalMs: 50, description: "restored embedding gives the original bytes" });
  });

  test("tasks - an entry learned on another model is flagged by the gateway and its edits refused with a 400", async () => {
    const registry = await openTaskRegistry(nc);
    const original = await registry.get("global");
    assert.ok(original);
    const E = original.embedding.length;
    await registry.put({ ...original, id: 98, name: "foreign-test", embedding: new Float32Array(E + 3).fill(0.5), origin: "user" });
    try {
      await waitFor(() => gatewayLines.some((l) => l.includes("does not fit this model") && l.includes("foreign-test")), {
        timeoutMs: 5000,
        intervalMs: 50,
        description: "the gateway's warning",
      });
      const line = gatewayLines.find((l) => l.includes("foreign-test") && l.includes("does not fit"))!;
      assert.match(line, new RegExp(` values=${E + 3} `));
      assert.match(line, new RegExp(` model_values=${E}\\b`));
      const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it brighter", task: "foreign-test", steps: STEPS });
      assert.equal(res.status, 400);
      assert.match((await errorBody(res)).message, new RegExp(`needs a task embedding of ${E} values, got ${E + 3}`));
    } finally {
      await registry.delete("foreign-test");
    }
  });

  test("grpc - EditStream reports every step, then the result", async () => {
    const client = createClient(EditorService, sys.grpcAddress);
    try {
      const events = [];
      for await (const ev of client.editStream({ edit: { image: await sceneBytes(), instruction: "invert the colors", task: "color", steps: 4, seed: 1 } }, { deadlineMs: 30000 })) {
        events.push(ev.event);
      }
      const progress = events.filter((e) => e.case === "progress").map((e) => (e.case === "progress" ? e.value.step : -1));
      assert.deepEqual(progress, [1, 2, 3, 4]);
      const last = events.at(-1);
      assert.equal(last?.case, "result");
      if (last?.case === "result") {
        assert.equal(last.value.task, "color");
        assert.equal((await sharp(last.value.image).metadata()).width, 64);
        // the gRPC edge logs one line per call, as the HTTP edge does per request
        const id = last.value.id;
        await waitFor(() => gatewayLines.some((l) => l.includes("info gateway: call method=EditStream status=OK") && l.includes(`edit_id=${id}`) && l.includes("task=color")), {
          timeoutMs: 5000,
          description: "the EditStream call's log line",
        });
      }
    } finally {
      client.close();
    }
  });

  test("deadline - a passed deadline gives 504 and the denoising loop stops", async () => {
    const sub = nc.subscribe("emuedit.latents.>");
    const arrivals: { step: number; at: number }[] = [];
    const subjects = new Set<string>();
    const collecting = (async () => {
      for await (const m of sub) {
        subjects.add(m.subject);
        arrivals.push({ step: Number(m.headers?.get("Emuedit-Step")), at: Date.now() });
      }
    })();
    await nc.flush();
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: String(DEADLINE_STEPS), timeout_ms: "400" });
    const repliedAt = Date.now();
    assert.equal(res.status, 504);
    assert.equal((await errorBody(res)).code, "deadline_exceeded");
    await new Promise((r) => setTimeout(r, 1000));
    sub.unsubscribe();
    await collecting;
    const steps = arrivals.map((a) => a.step);
    assert.equal(subjects.size, 1, "one edit ran");
    assert.ok(Math.max(...steps, 0) < DEADLINE_STEPS, `the loop stopped early (last step ${Math.max(...steps, 0)})`);
    const late = arrivals.filter((a) => a.at - repliedAt > LATE_MS).map((a) => a.step);
    assert.deepEqual(late, [], `no step finished more than ${LATE_MS} ms after the reply`);
  });

  test("metrics - the gateway's Prometheus endpoint reports stage latencies and pending work", async () => {
    assert.equal((await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it brighter", task: "global", steps: "2" })).status, 200);
    const text = await waitFor(async () => {
      const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return body.includes("emuedit_stage_duration_ms_bucket") ? body : null;
    }, { timeoutMs: 10000, intervalMs: 200 });
    for (const stage of ["decode", "text_encode", "vae_encode", "denoise", "vae_decode", "encode"]) {
      assert.match(text, new RegExp(`emuedit_stage_duration_ms_count\\{[^}]*stage="${stage}"`), stage);
    }
    assert.match(text, /emuedit_stage_in_flight_edits\{[^}]*stage="unet"/);
    assert.match(text, /^emuedit_stage_waiting_edits\{[^}]*stage="unet"[^}]*\} 0$/m);
  });

  test("metrics - edits by outcome, named-task lookups (hits and misses), and the unet's own queue", async () => {
    const scrape = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (text: string, series: RegExp) => Number(series.exec(text)?.[1] ?? 0);
    const before = await scrape(metricsPort);
    assert.equal((await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it brighter", task: "global", steps: "2" })).status, 200);
    assert.equal((await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "x", task: "teleport", steps: "2" })).status, 400);
    const after = await scrape(metricsPort);
    const ok = /^emuedit_edits_total\{outcome="ok",task="global"\} (\d+)$/m;
    const unknown = /^emuedit_edits_total\{outcome="unknown_task",task="none"\} (\d+)$/m;
    assert.equal(value(after, ok) - value(before, ok), 1, "one more ok edit of task global");
    assert.equal(value(after, unknown) - value(before, unknown), 1, "one more unknown_task refusal, its name not a label");
    const hits = /^emuedit_task_cache_hits_total (\d+)$/m;
    const misses = /^emuedit_task_cache_misses_total (\d+)$/m;
    assert.equal(value(after, hits) - value(before, hits), 1, "the named task was found");
    assert.equal(value(after, misses) - value(before, misses), 1, "the unknown name missed");
    const unet = await scrape(unetMetricsPort);
    assert.match(unet, /^emuedit_model_queue_depth\{model="unet"\} 0$/m);
    assert.match(unet, /^emuedit_model_runs_in_flight\{model="unet"\} 0$/m);
    assert.match(unet, /^emuedit_batch_size_count \d+$/m);
  });
});
