// Asynchronous edits against the real system: gateway, model services on the fixture model and
// a private nats-server. Lifecycle, events, cancel, a gateway killed mid-job, webhooks, refusals.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import path from "node:path";
import { launchSystem, REPO_ROOT, spawnService, type RunningSystem, type ServiceProcess } from "@emuedit/launcher";
import { connectNats, openJobStore, readCheckpoint, type JobRecord } from "@emuedit/nats";
import { freePort, waitFor } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, editForm, errorBody, FIXTURE_MODEL, postEdit, sceneBytes, type EditForm } from "./helpers.js";

const SECRET = "test-webhook-secret";
/** Short, so a job whose owner vanished is taken over within seconds. */
const LEASE_MS = 3000;
let sys: RunningSystem;
let nc: NatsConnection;

before(async () => {
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: () => undefined,
    env: {
      ...ACCEPT_ANY_TASK,
      EMUEDIT_MAX_STEPS: "1000",
      EMUEDIT_GATEWAY_INSTANCE: "gateway-under-test",
      EMUEDIT_WEBHOOK_SECRET: SECRET,
      EMUEDIT_WEBHOOK_BACKOFF_MS: "100",
      EMUEDIT_SSE_PREVIEW_INTERVAL_MS: "0",
      EMUEDIT_JOB_LEASE_MS: String(LEASE_MS),
    },
  });
  nc = await connectNats(sys.natsUrl);
});

after(async () => {
  await nc?.close();
  await sys?.stop();
});

interface JobJson {
  id: string;
  state: string;
  progress: { step: number; steps: number };
  status_url: string;
  events_url: string;
  attempts: number;
  cancel_requested: boolean;
  result?: { url: string; mime_type: string; seed: number; image?: string };
  error?: { code: string; message: string };
  callback?: { url: string; state: string; attempts: number };
}

async function submit(fields: EditForm, headers: Record<string, string> = { prefer: "respond-async" }, url = sys.httpUrl): Promise<Response> {
  return fetch(`${url}/v1/edits`, { method: "POST", body: editForm(fields), headers });
}

async function submitJob(fields: EditForm, url = sys.httpUrl): Promise<JobJson> {
  const res = await submit(fields, { prefer: "respond-async" }, url);
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()) as JobJson;
}

async function getJob(id: string): Promise<JobJson> {
  const res = await fetch(`${sys.httpUrl}/v1/edits/${id}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as JobJson;
}

/** Polls the job until `done(job)`; returns every state seen on the way, the last one last. */
async function follow(id: string, done: (j: JobJson) => boolean, timeoutMs = 60_000): Promise<JobJson[]> {
  const seen: JobJson[] = [];
  await waitFor(
    async () => {
      seen.push(await getJob(id));
      return done(seen.at(-1)!);
    },
    { timeoutMs, intervalMs: 20, description: `job ${id}` },
  );
  return seen;
}
const finished = (j: JobJson) => ["succeeded", "failed", "cancelled"].includes(j.state);

async function resultBytes(job: JobJson): Promise<Buffer> {
  const res = await fetch(`${sys.httpUrl}${job.result!.url}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), job.result!.mime_type);
  return Buffer.from(await res.arrayBuffer());
}

async function blockingBytes(fields: EditForm): Promise<Buffer> {
  const res = await postEdit(sys.httpUrl, fields);
  assert.equal(res.status, 200, await res.clone().text());
  return Buffer.from(await res.arrayBuffer());
}

interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads an event stream to its end (the server ends it after the job's outcome). */
async function readEvents(id: string, headers: Record<string, string> = {}, url = sys.httpUrl): Promise<SseEvent[]> {
  const res = await fetch(`${url}/v1/edits/${id}/events`, { headers, signal: AbortSignal.timeout(60_000) });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const text = await res.text();
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const i = line.indexOf(": ");
      fields.set(line.slice(0, i), line.slice(i + 2));
    }
    if (fields.has("event")) events.push({ id: fields.get("id")!, event: fields.get("event")!, data: JSON.parse(fields.get("data")!) });
  }
  return events;
}

const edit = async (steps: number, seed: number): Promise<EditForm> => ({ image: await sceneBytes(), instruction: "make the circle blue", task: "local", steps: String(steps), seed: String(seed), timeout_ms: "120000" });

describe("jobs", () => {
  test("jobs - lifecycle: 202 with URLs, running step k of n, succeeded with the blocking edit's bytes", async () => {
    const fields = await edit(300, 11);
    const res = await submit(fields);
    assert.equal(res.status, 202, await res.clone().text());
    const job = (await res.json()) as JobJson;
    assert.equal(res.headers.get("location"), `/v1/edits/${job.id}`);
    assert.equal(res.headers.get("preference-applied"), "respond-async");
    assert.equal(job.state, "queued");
    assert.equal(job.status_url, `/v1/edits/${job.id}`);
    assert.equal(job.events_url, `/v1/edits/${job.id}/events`);
    assert.deepEqual(job.progress, { step: 0, steps: 300 });

    const seen = await follow(job.id, finished);
    const last = seen.at(-1)!;
    assert.equal(last.state, "succeeded", JSON.stringify(last));
    assert.ok(
      seen.some((j) => j.state === "running" && j.progress.step > 0 && j.progress.step < 300),
      `saw running with a step in 1..299: ${seen.map((j) => `${j.state}:${j.progress.step}`).join(" ")}`,
    );
    assert.deepEqual(last.progress, { step: 300, steps: 300 });
    assert.equal(last.result!.url, `/v1/edits/${job.id}/result`);
    assert.equal(last.result!.seed, 11);

    const bytes = await resultBytes(last);
    assert.ok(bytes.equals(await blockingBytes(fields)), "the async result equals the blocking edit with the same seed");
    const inline = (await (await fetch(`${sys.httpUrl}/v1/edits/${job.id}?include=image`)).json()) as JobJson;
    assert.ok(Buffer.from(inline.result!.image!, "base64").equals(bytes), "?include=image inlines the same bytes");
  });

  test("jobs - events: queued, steps with previews, done, in order; Last-Event-ID replays only later events", async () => {
    const n = 40;
    const job = await submitJob(await edit(n, 5));
    const events = await readEvents(job.id);
    assert.equal(events[0]?.event, "queued");
    assert.equal(events[0]?.id, "0");
    assert.equal(events.at(-1)?.event, "done", JSON.stringify(events.at(-1)));
    assert.equal(events.at(-1)?.id, String(n + 1));
    assert.equal(events.at(-1)?.data.result_url, `/v1/edits/${job.id}/result`);
    const ids = events.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "ids increase");
    assert.equal(new Set(ids).size, ids.length, "no id twice");
    const steps = events.filter((e) => e.event === "step");
    assert.ok(steps.length >= 1, "at least one step event");
    for (const s of steps) assert.equal(s.data.steps, n);
    const preview = steps.find((s) => typeof s.data.preview === "string");
    assert.ok(preview, "a step carries a preview");
    const png = Buffer.from(String(preview.data.preview).replace(/^data:image\/png;base64,/, ""), "base64");
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, "png");
    assert.ok((meta.width ?? 0) >= 16 && (meta.height ?? 0) >= 16, `preview ${meta.width}x${meta.height}`);

    const resumed = await readEvents(job.id, { "last-event-id": "10" });
    assert.ok(resumed.length >= 1);
    assert.ok(resumed.every((e) => Number(e.id) > 10), `only ids after 10: ${resumed.map((e) => e.id).join(",")}`);
    assert.equal(resumed.at(-1)?.event, "done");
    assert.deepEqual(await readEvents(job.id, { "last-event-id": String(n + 1) }), [], "nothing after the outcome");
  });

  test("jobs - events of a running job resume mid-edit with only later steps", async () => {
    const n = 400;
    const job = await submitJob(await edit(n, 6));
    await follow(job.id, (j) => j.progress.step >= 20);
    const resumed = await readEvents(job.id, { "last-event-id": "15" });
    const ids = resumed.map((e) => Number(e.id));
    assert.ok(ids.every((i) => i > 15), ids.join(","));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.ok(resumed.filter((e) => e.event === "step").length >= 2, "live steps after the replayed checkpoint");
    assert.equal(resumed.at(-1)?.event, "done");
  });

  test("jobs - cancel mid-edit: cancelled, and the unet stops publishing steps", async () => {
    const n = 1000;
    const job = await submitJob(await edit(n, 3));
    await follow(job.id, (j) => j.progress.step >= 5);
    const del = await fetch(`${sys.httpUrl}/v1/edits/${job.id}`, { method: "DELETE" });
    assert.ok(del.status === 202 || del.status === 200, `DELETE answered ${del.status}`);
    assert.equal(((await del.json()) as JobJson).cancel_requested, true);
    const last = (await follow(job.id, finished)).at(-1)!;
    assert.equal(last.state, "cancelled");
    assert.equal(last.error?.code, "cancelled");

    // The unet publishes every step to JetStream: once it has stopped, the checkpoint stays put.
    // The job reads "cancelled" as soon as the gateway cancels its call; the unet sees the
    // cancellation a few steps later (the RST_STREAM's trip, then its next step's check), so
    // first wait for the checkpoint to settle, then check it stays settled.
    const js = jetstream(nc);
    const step = async () => (await readCheckpoint(js, job.id))?.step ?? 0;
    let previous = -1;
    const first = await waitFor(
      async () => {
        const now = await step();
        const settled = now === previous;
        previous = now;
        return settled ? now + 1 : 0;
      },
      { timeoutMs: 10_000, intervalMs: 250, description: "the checkpoint stops advancing" },
    ).then((v) => v - 1);
    await new Promise((r) => setTimeout(r, 1500));
    const later = await step();
    assert.equal(later, first, "no step after the cancel took effect");
    assert.ok(later < n / 2, `the denoiser stopped early, at step ${later} of ${n}`);

    const again = await fetch(`${sys.httpUrl}/v1/edits/${job.id}`, { method: "DELETE" });
    assert.equal(again.status, 409);
    assert.equal((await errorBody(again)).code, "job_finished");
    const result = await fetch(`${sys.httpUrl}/v1/edits/${job.id}/result`);
    assert.equal(result.status, 409);
    assert.equal((await errorBody(result)).code, "no_result");
  });

  test("jobs - gateway killed (SIGKILL) mid-job: the restarted gateway resumes it from the checkpoint; same bytes", async () => {
    const fields = await edit(800, 21);
    const job = await submitJob(fields);
    await follow(job.id, (j) => j.progress.step >= 20);
    await sys.kill("gateway", "SIGKILL");
    await sys.restart("gateway");
    const last = (await follow(job.id, finished, 120_000)).at(-1)!;
    assert.equal(last.state, "succeeded", JSON.stringify(last));
    assert.equal(last.attempts, 2, "run twice: before and after the kill");
    assert.ok(
      sys.processes.unet.recentLines.some((l) => l.includes("resuming from checkpoint") && l.includes(job.id)),
      "the unet continued from the JetStream checkpoint",
    );
    assert.ok((await resultBytes(last)).equals(await blockingBytes(fields)), "the resumed job's image equals an uninterrupted edit's");
  });

  test("jobs - webhook: a signed POST to a loopback server, retried after a failure", async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(received.length === 1 ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const job = await submitJob({ ...(await edit(4, 8)), callback_url: url });
      await follow(job.id, (j) => j.callback?.state === "delivered");
      assert.equal(received.length, 2, "one failed delivery, then one accepted");
      const { headers, body } = received[1]!;
      const timestamp = String(headers["x-emuedit-timestamp"]);
      const expected = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex")}`;
      assert.equal(headers["x-emuedit-signature"], expected);
      assert.notEqual(expected, `sha256=${createHmac("sha256", "wrong").update(`${timestamp}.${body}`).digest("hex")}`);
      const payload = JSON.parse(body) as { event: string; job: JobJson };
      assert.equal(payload.event, "edit.succeeded");
      assert.equal(payload.job.id, job.id);
      assert.equal(payload.job.result?.url, `/v1/edits/${job.id}/result`);
      assert.equal((await getJob(job.id)).callback?.attempts, 2);
    } finally {
      server.close();
    }
  });

  test("jobs - refusals: unknown id 404, bad ids, Prefer, callback_url, Last-Event-ID and include 400", async () => {
    const expect = async (res: Response, status: number, code: string) => {
      assert.equal(res.status, status, await res.clone().text());
      assert.equal((await errorBody(res)).code, code);
    };
    const unknown = "00000000-0000-4000-8000-000000000000";
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${unknown}`), 404, "not_found");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${unknown}/events`), 404, "not_found");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${unknown}/result`), 404, "not_found");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${unknown}`, { method: "DELETE" }), 404, "not_found");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/not.an.id`), 400, "invalid_argument");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/%E0%A4%A`), 400, "invalid_argument");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${unknown}`, { method: "PUT" }), 405, "method_not_allowed");

    const fields = await edit(2, 1);
    await expect(await submit(fields, { prefer: "respond-async=yes" }), 400, "invalid_argument");
    await expect(await submit(fields, { prefer: "respond async" }), 400, "invalid_argument");
    await expect(await submit({ ...fields, callback_url: "ftp://127.0.0.1/x" }), 400, "invalid_argument");
    await expect(await submit({ ...fields, callback_url: "not a url" }), 400, "invalid_argument");
    await expect(await submit({ ...fields, callback_url: "http://127.0.0.1:9/x" }, {}), 400, "invalid_argument");
    await expect(await submit({ ...fields, image: Buffer.from("not an image") }), 400, "invalid_image");
    await expect(await submit({ ...fields, steps: "0" }), 400, "invalid_argument");

    // Unknown preferences are ignored (RFC 7240): a blocking edit.
    const plain = await submit(fields, { prefer: "return=minimal" });
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get("content-type") ?? "", /^image\//);

    const job = await submitJob(fields);
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${job.id}/events`, { headers: { "last-event-id": "x" } }), 400, "invalid_argument");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${job.id}/events`, { headers: { "last-event-id": "4" } }), 400, "invalid_argument");
    await expect(await fetch(`${sys.httpUrl}/v1/edits/${job.id}?include=everything`), 400, "invalid_argument");
    assert.equal((await follow(job.id, finished)).at(-1)!.state, "succeeded");
  });
});

/** A second gateway on the same NATS and model services: another replica. */
async function startReplica(env: Record<string, string>): Promise<{ url: string; proc: ServiceProcess }> {
  const port = await freePort();
  const proc = spawnService("gateway-b", path.join("services", "gateway", "src", "main.ts"), {
    cwd: REPO_ROOT,
    onLine: () => undefined,
    env: {
      ...process.env,
      ...ACCEPT_ANY_TASK,
      EMUEDIT_MODEL_DIR: FIXTURE_MODEL,
      EMUEDIT_MAX_STEPS: "1000",
      EMUEDIT_SHUTDOWN_DELAY_MS: "0",
      EMUEDIT_JOB_LEASE_MS: String(LEASE_MS),
      NATS_URL: sys.natsUrl,
      EMUEDIT_TEXT_ENCODER_ADDRESS: sys.addresses["text-encoder"],
      EMUEDIT_VAE_ADDRESS: sys.addresses.vae,
      EMUEDIT_UNET_ADDRESS: sys.addresses.unet,
      EMUEDIT_GATEWAY_HTTP_PORT: String(port),
      EMUEDIT_GATEWAY_GRPC_PORT: String(await freePort()),
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${url}/readyz`).then((r) => r.status === 200, () => false), { timeoutMs: 60_000, intervalMs: 200, description: "replica ready" });
  return { url, proc };
}

describe("jobs across gateways", () => {
  test("jobs - another replica answers GET and events, and its DELETE reaches the owner; the owner's queue limit is 503", async () => {
    const b = await startReplica({ EMUEDIT_MAX_QUEUED_JOBS: "1", EMUEDIT_GATEWAY_INSTANCE: "replica-b" });
    try {
      const job = await submitJob(await edit(1000, 9), b.url);
      const full = await submit(await edit(2, 9), { prefer: "respond-async" }, b.url);
      assert.equal(full.status, 503, await full.clone().text());
      assert.ok(Number(full.headers.get("retry-after")) > 0);
      assert.equal((await errorBody(full)).code, "unavailable");

      await follow(job.id, (j) => j.progress.step >= 5);
      const events = readEvents(job.id, {}, sys.httpUrl);
      const del = await fetch(`${sys.httpUrl}/v1/edits/${job.id}`, { method: "DELETE" });
      assert.equal(del.status, 202, "the owner is another gateway: cancel requested, not yet done");
      const last = (await follow(job.id, finished)).at(-1)!;
      assert.equal(last.state, "cancelled");
      const seen = await events;
      assert.equal(seen[0]?.event, "queued");
      assert.ok(seen.some((e) => e.event === "step"), "steps of a job run by another gateway");
      assert.equal(seen.at(-1)?.event, "cancelled");
    } finally {
      b.proc.signal("SIGTERM");
      await b.proc.exited;
    }
  });

  test("jobs - a job whose gateway died is taken over when its lease runs out; past EMUEDIT_JOB_MAX_ATTEMPTS it fails clearly", async () => {
    // A record as a gateway that died mid-run leaves it: running, owned, its lease over.
    const store = await openJobStore(nc, { retentionMs: 3_600_000 });
    const fields = await edit(30, 17);
    const ghost = (id: string, attempts: number): JobRecord => ({
      id,
      state: "running",
      createdAt: Date.now() - 10_000,
      updatedAt: Date.now() - 10_000,
      request: {
        spec: {
          instruction: fields.instruction,
          task: "local",
          sampling: { steps: 30, guidanceScale: 2.5, imageGuidanceScale: 1.5, seed: 17 },
          output: { format: "png", size: "original", preserveUnedited: false },
          timeoutMs: 60_000,
        },
      },
      step: 12,
      steps: 30,
      owner: "ghost-gateway#dead",
      leaseUntil: Date.now() - 1,
      attempts,
      cancelRequested: false,
    });
    const image = fields.image as Uint8Array;
    await store.create(ghost("ghost-job-resumable", 1), image);
    await store.create(ghost("ghost-job-exhausted", 3), image);

    const resumed = (await follow("ghost-job-resumable", finished, 30_000)).at(-1)!;
    assert.equal(resumed.state, "succeeded", JSON.stringify(resumed));
    assert.equal(resumed.attempts, 2);
    assert.ok((await resultBytes(resumed)).equals(await blockingBytes({ ...fields, steps: "30", seed: "17" })));

    const abandoned = (await follow("ghost-job-exhausted", finished, 30_000)).at(-1)!;
    assert.equal(abandoned.state, "failed");
    assert.equal(abandoned.error?.code, "job_abandoned");
    assert.match(abandoned.error!.message, /EMUEDIT_JOB_MAX_ATTEMPTS/);
  });
});
