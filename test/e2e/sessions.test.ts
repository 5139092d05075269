// Multi-turn sessions, task prediction and the web page's files against the real system: gateway,
// model services on the fixture model and a private nats-server. Turns, branching, undo,
// thresholding between turns, limits and refusals, and a gateway killed and restarted.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { waitFor } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, editForm, errorBody, FIXTURE_MODEL, sceneBytes } from "./helpers.js";

const MAX_TURNS = 5;
let sys: RunningSystem;

before(async () => {
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: () => undefined,
    env: { ...ACCEPT_ANY_TASK, EMUEDIT_MAX_STEPS: "1000", EMUEDIT_GATEWAY_INSTANCE: "gateway-under-test", EMUEDIT_MAX_SESSION_TURNS: String(MAX_TURNS) },
  });
});

after(async () => {
  await sys?.stop();
});

interface TurnJson {
  id: number;
  parent: number | null;
  state: string;
  instruction?: string;
  task?: string | null;
  seed?: number;
  preserve_unedited?: boolean;
  reverted_pixels?: number;
  job_id?: string;
  job_url?: string;
  events_url?: string;
  image_url?: string;
  width?: number;
  height?: number;
  error?: { code: string; message: string };
}
interface SessionJson {
  id: string;
  url: string;
  head: number;
  expires_at: string;
  turns: TurnJson[];
}

const url = (p: string) => `${sys.httpUrl}${p}`;
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function createSession(image: Buffer): Promise<SessionJson> {
  const res = await fetch(url("/v1/sessions"), { method: "POST", body: editForm({ image }) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as SessionJson;
}

async function getSession(id: string): Promise<SessionJson> {
  const res = await fetch(url(`/v1/sessions/${id}`));
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as SessionJson;
}

async function startTurn(id: string, fields: Record<string, unknown>): Promise<TurnJson> {
  const res = await fetch(url(`/v1/sessions/${id}/edits`), json({ task: "local", steps: 8, seed: 3, ...fields }));
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { turn: TurnJson }).turn;
}

async function settled(id: string, turn: number, timeoutMs = 120_000): Promise<SessionJson> {
  let s!: SessionJson;
  await waitFor(
    async () => {
      s = await getSession(id);
      return s.turns[turn]?.state !== "running";
    },
    { timeoutMs, intervalMs: 50, description: `session ${id} turn ${turn}` },
  );
  return s;
}

async function turnImage(s: SessionJson, turn: number): Promise<Buffer> {
  const res = await fetch(url(s.turns[turn]!.image_url!));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/png");
  assert.match(res.headers.get("cache-control") ?? "", /immutable/);
  return Buffer.from(await res.arrayBuffer());
}

const raw = async (png: Buffer) => sharp(png).removeAlpha().raw().toBuffer();

describe("sessions", () => {
  test("sessions - turns edit the head, branch from a named turn, undo moves the head", async () => {
    const s0 = await createSession(await sceneBytes("jpeg"));
    assert.equal(s0.head, 0);
    assert.deepEqual(s0.turns.map((t) => [t.id, t.parent, t.state]), [[0, null, "succeeded"]]);
    assert.ok(Date.parse(s0.expires_at) > Date.now());
    const original = await turnImage(s0, 0);
    assert.equal((await sharp(original).metadata()).format, "png", "turn 0 is kept as PNG whatever was uploaded");

    const t1 = await startTurn(s0.id, { instruction: "make the circle blue" });
    assert.equal(t1.id, 1);
    assert.equal(t1.parent, 0);
    assert.equal(t1.state, "running");
    assert.equal(t1.events_url, `/v1/edits/${t1.job_id}/events`);
    const s1 = await settled(s0.id, 1);
    assert.equal(s1.turns[1]!.state, "succeeded", JSON.stringify(s1.turns[1]));
    assert.equal(s1.head, 1, "a succeeded turn becomes the head");
    assert.equal(s1.turns[1]!.task, "local");
    assert.equal(s1.turns[1]!.seed, 3);

    // The turn's image is the job's result: the parent's image edited with the turn's fields.
    const job = await fetch(url(`/v1/edits/${t1.job_id}/result`));
    assert.ok(Buffer.from(await job.arrayBuffer()).equals(await turnImage(s1, 1)));

    const t2 = await startTurn(s0.id, { instruction: "make it bigger", seed: 4 });
    assert.equal(t2.parent, 1, "the next turn edits the head");
    const s2 = await settled(s0.id, 2);
    assert.equal(s2.head, 2);

    // Undo: the head goes back to turn 1; the next turn branches from it.
    const undo = await fetch(url(`/v1/sessions/${s0.id}/head`), { ...json({ turn: 1 }), method: "PUT" });
    assert.equal(undo.status, 200, await undo.clone().text());
    assert.equal(((await undo.json()) as SessionJson).head, 1);
    const t3 = await startTurn(s0.id, { instruction: "remove the circle" });
    assert.equal(t3.parent, 1);
    const t4 = await startTurn(s0.id, { instruction: "make the background green", parent: 0 });
    assert.equal(t4.parent, 0, "a named parent branches from an earlier turn");
    const s4 = await settled(s0.id, 4);
    await settled(s0.id, 3);
    assert.deepEqual(s4.turns.map((t) => t.parent), [null, 0, 1, 1, 0]);
    assert.ok((await getSession(s0.id)).turns.every((t) => t.state === "succeeded"));

    // The session is full at MAX_TURNS (turn 0 counts).
    const full = await fetch(url(`/v1/sessions/${s0.id}/edits`), json({ instruction: "one more", task: "local" }));
    assert.equal(full.status, 409);
    assert.equal((await errorBody(full)).code, "session_full");

    const del = await fetch(url(`/v1/sessions/${s0.id}`), { method: "DELETE" });
    assert.equal(del.status, 204);
    assert.equal((await fetch(url(`/v1/sessions/${s0.id}`))).status, 404);
  });

  test("sessions - keep-unedited thresholding: with threshold 1 every pixel keeps the parent's value", async () => {
    const s = await createSession(await sceneBytes());
    await startTurn(s.id, { instruction: "make the circle blue", preserve_unedited: true, preserve_threshold: 1 });
    const s1 = await settled(s.id, 1);
    const t = s1.turns[1]!;
    assert.equal(t.state, "succeeded", JSON.stringify(t));
    assert.equal(t.preserve_unedited, true);
    assert.ok((t.reverted_pixels ?? 0) > 0, `reverted ${t.reverted_pixels}`);
    assert.ok((await raw(await turnImage(s1, 1))).equals(await raw(await turnImage(s1, 0))));

    // The default threshold (0.03) keeps the edit where it changed the image a lot.
    await startTurn(s.id, { instruction: "make the circle blue", preserve_unedited: true, parent: 0 });
    const s2 = await settled(s.id, 2);
    const plain = Buffer.from(await (await fetch(url(`/v1/edits/${s2.turns[2]!.job_id}/result`))).arrayBuffer());
    const kept = await raw(await turnImage(s2, 2));
    const [edited, parent] = [await raw(plain), await raw(await turnImage(s2, 0))];
    let fromParent = 0;
    let fromEdit = 0;
    for (let i = 0; i < kept.length; i += 3) {
      const same = (b: Buffer) => b[i] === kept[i] && b[i + 1] === kept[i + 1] && b[i + 2] === kept[i + 2];
      assert.ok(same(parent) || same(edited), `pixel ${i / 3} is the parent's or the edit's`);
      if (same(parent) && !same(edited)) fromParent++;
      if (same(edited) && !same(parent)) fromEdit++;
    }
    assert.equal(fromParent, s2.turns[2]!.reverted_pixels);
    assert.ok(fromEdit > 0, "the edit's large changes stay");
  });

  test("sessions - refusals: bad image, ids, fields, parents, head", async () => {
    const bad = await fetch(url("/v1/sessions"), { method: "POST", body: editForm({ image: Buffer.from("not an image at all"), filename: "notes.txt" }) });
    assert.equal(bad.status, 400);
    assert.match((await errorBody(bad)).code, /invalid_image|unsupported_image_format/);
    const none = await fetch(url("/v1/sessions"), { method: "POST", body: editForm({}) });
    assert.equal(none.status, 400);
    assert.equal((await errorBody(none)).code, "invalid_argument");

    assert.equal((await fetch(url("/v1/sessions/00000000-0000-0000-0000-000000000000"))).status, 404);
    const malformed = await fetch(url("/v1/sessions/bad.id"));
    assert.equal(malformed.status, 400);
    assert.equal((await fetch(url("/v1/sessions"), { method: "GET" })).status, 405);

    const s = await createSession(await sceneBytes());
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ instruction: "x", colour: "red" }, 400, "invalid_argument", "colour"],
      [{ instruction: "" }, 400, "invalid_argument", "instruction"],
      [{ instruction: "x", steps: 0 }, 400, "invalid_argument", "steps"],
      [{ instruction: "x", parent: -1 }, 400, "invalid_argument", "parent"],
      [{ instruction: "x", parent: 7 }, 404, "not_found", "turn"],
      [{ instruction: "x", preserve_threshold: 0.1 }, 400, "invalid_argument", "preserve_threshold"],
      [{ instruction: "x", preserve_unedited: true, preserve_threshold: 2 }, 400, "invalid_argument", "preserve_threshold"],
      [{ instruction: "x", preserve_unedited: "yes" }, 400, "invalid_argument", "preserve_unedited"],
      [{ instruction: "x", task: "paint" }, 202, "", ""],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await fetch(url(`/v1/sessions/${s.id}/edits`), json(body));
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${await res.clone().text()}`);
      if (status >= 400) {
        const e = await errorBody(res);
        assert.equal(e.code, code, JSON.stringify(body));
        assert.match(e.message, new RegExp(field), JSON.stringify(body));
      }
    }
    // The unknown task fails its turn (as the job does), leaving the head where it was.
    const failed = await settled(s.id, 1);
    assert.equal(failed.turns[1]!.state, "failed");
    assert.equal(failed.turns[1]!.error?.code, "unknown_task");
    assert.equal(failed.head, 0);
    const fromFailed = await fetch(url(`/v1/sessions/${s.id}/edits`), json({ instruction: "x", task: "local", parent: 1 }));
    assert.equal(fromFailed.status, 409);
    assert.equal((await errorBody(fromFailed)).code, "turn_not_ready");
    for (const body of [{ turn: 1 }, { turn: "one" }, {}]) {
      const res = await fetch(url(`/v1/sessions/${s.id}/head`), { ...json(body), method: "PUT" });
      assert.ok([400, 409].includes(res.status), `${JSON.stringify(body)} -> ${res.status}`);
    }
    const text = await fetch(url(`/v1/sessions/${s.id}/edits`), { method: "POST", headers: { "content-type": "text/plain" }, body: "make it blue" });
    assert.equal(text.status, 415);
    assert.equal((await fetch(url(`/v1/sessions/${s.id}/turns/x/image`))).status, 400);
    assert.equal((await fetch(url(`/v1/sessions/${s.id}/turns/9/image`))).status, 404);
  });

  test("sessions - a gateway killed mid-turn and restarted loses nothing: turns, images, the running turn", async () => {
    const s = await createSession(await sceneBytes());
    await startTurn(s.id, { instruction: "make the circle blue" });
    const done = await settled(s.id, 1);
    const before = await turnImage(done, 1);
    const running = await startTurn(s.id, { instruction: "make the circle green", steps: 400 });
    await waitFor(async () => ((await (await fetch(url(running.job_url!))).json()) as { progress: { step: number } }).progress.step >= 5, {
      timeoutMs: 60_000,
      intervalMs: 20,
      description: "turn 2 under way",
    });

    await sys.kill("gateway", "SIGKILL");
    await sys.restart("gateway");

    const after = await getSession(s.id);
    assert.deepEqual(after.turns.map((t) => [t.id, t.parent]), [[0, null], [1, 0], [2, 1]]);
    assert.ok((await turnImage(after, 1)).equals(before), "a finished turn's image is intact");
    const finished = await settled(s.id, 2);
    assert.equal(finished.turns[2]!.state, "succeeded", JSON.stringify(finished.turns[2]));
    assert.equal(finished.head, 2);
    assert.equal((await sharp(await turnImage(finished, 2)).metadata()).format, "png");
  });
});

describe("task prediction", () => {
  test("predict - the likeliest task of an instruction with its confidence, without editing", async () => {
    const { tasks } = (await (await fetch(url("/v1/tasks"))).json()) as { tasks: { name: string }[] };
    const res = await fetch(url("/v1/tasks/predict"), json({ instruction: "make the circle blue" }));
    assert.equal(res.status, 200, await res.clone().text());
    const p = (await res.json()) as { task: string; confidence: number; confident: boolean; min_confidence: number; candidates: { task: string; confidence: number }[] };
    assert.ok(tasks.some((t) => t.name === p.task));
    assert.equal(p.candidates[0]!.task, p.task);
    assert.ok(p.candidates.every((c, i) => i === 0 || c.confidence <= p.candidates[i - 1]!.confidence));
    assert.equal(p.min_confidence, 0);
    assert.equal(p.confident, true);

    // The same instruction edited without a task runs the predicted one.
    const s = await createSession(await sceneBytes());
    await fetch(url(`/v1/sessions/${s.id}/edits`), json({ instruction: "make the circle blue", steps: 2 }));
    assert.equal((await settled(s.id, 1)).turns[1]!.task, p.task);

    for (const body of [{}, { instruction: "  " }, { instruction: 3 }]) {
      const bad = await fetch(url("/v1/tasks/predict"), json(body));
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.match((await errorBody(bad)).message, /^instruction/);
    }
    assert.equal((await fetch(url("/v1/tasks/predict"))).status, 405);
  });
});

describe("web page files", () => {
  test("web - the page with a strict CSP, versioned immutable assets, ETag revalidation", async () => {
    const page = await fetch(url("/"));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.headers.get("cache-control"), "no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    const html = await page.text();
    const script = /src="(\/web\/[0-9a-f]{12}\/editor\.js)"/.exec(html)?.[1];
    assert.ok(script, "the page names its versioned script");
    assert.doesNotMatch(html, /<script>|style="|https?:\/\//, "no inline code, nothing from elsewhere");

    const js = await fetch(url(script));
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(js.headers.get("cache-control") ?? "", /max-age=31536000, immutable/);
    const css = await fetch(url(script.replace("editor.js", "editor.css")));
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");

    const again = await fetch(url("/"), { headers: { "if-none-match": page.headers.get("etag")! } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(url(script.replace("editor.js", "missing.js")))).status, 404);
    assert.equal((await fetch(url("/web/000000000000/editor.js"))).status, 404);
    assert.equal((await fetch(url("/"), { method: "POST" })).status, 405);
  });
});
