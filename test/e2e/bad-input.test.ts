// Every bad request gets a 4xx with {error: {code, message}} that says what is accepted, every
// request leaves one log line, and the system keeps serving. The fixture's task classifier has
// random weights (no prediction reaches EMUEDIT_MIN_TASK_CONFIDENCE's default 0.5), so an edit
// that names no task is refused here: the task_unclear case.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExitCode, main } from "@emuedit/cli";
import sharp from "sharp";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { resetOrFail, waitFor } from "@emuedit/testing";
import { errorBody, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

let sys: RunningSystem;
let png: Buffer;
const gatewayLines: string[] = [];

before(async () => {
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: (service, line) => void (service === "gateway" && gatewayLines.push(line)),
    env: { EMUEDIT_MAX_BODY_BYTES: String(2 * 1024 * 1024), EMUEDIT_MAX_INPUT_PIXELS: String(1_000_000) },
  });
  png = await sceneBytes();
});

after(async () => {
  await sys?.stop();
});

async function expectError(res: Response, status: number, code: string, messageIncludes?: string) {
  assert.equal(res.status, status, `status for ${code}`);
  assert.equal(res.headers.get("content-type"), "application/json");
  const err = await errorBody(res);
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.length > 0);
  if (messageIncludes) assert.ok(err.message.includes(messageIncludes), `"${err.message}" mentions ${messageIncludes}`);
  return err;
}

describe("bad input", () => {
  test("image - not an image", async () => {
    await expectError(await postEdit(sys.httpUrl, { image: Buffer.from("hello, not an image at all"), instruction: "x" }), 400, "invalid_image");
  });

  test("image - truncated PNG", async () => {
    await expectError(await postEdit(sys.httpUrl, { image: png.subarray(0, Math.floor(png.length / 2)), instruction: "make the circle blue" }), 400, "invalid_image");
  });

  test("image - zero bytes is empty_image, missing lists every accepted format", async () => {
    await expectError(await postEdit(sys.httpUrl, { image: Buffer.alloc(0), instruction: "make the circle blue" }), 400, "empty_image", "image: the file is empty");
    await expectError(
      await postEdit(sys.httpUrl, { instruction: "make the circle blue" }),
      400,
      "invalid_argument",
      "image: required: a file in one of PNG, JPEG, WEBP, GIF, TIFF, AVIF",
    );
  });

  test("image - over the pixel limit (decompression bomb) is refused", async () => {
    // 2000x2000 = 4 MP > the 1 MP limit set for this suite; it compresses to a few KB.
    const bomb = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#808080" } }).png().toBuffer();
    await expectError(await postEdit(sys.httpUrl, { image: bomb, instruction: "make the circle blue" }), 413, "image_too_large");
  });

  test("image - unsupported format (SVG)", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    await expectError(await postEdit(sys.httpUrl, { image: svg, instruction: "make the circle blue" }), 400, "unsupported_image_format");
  });

  test("instruction - empty and over-long", async () => {
    await expectError(await postEdit(sys.httpUrl, { image: png, instruction: "   " }), 400, "invalid_argument", "instruction");
    await expectError(await postEdit(sys.httpUrl, { image: png, instruction: "a".repeat(1001) }), 400, "invalid_argument", "instruction");
  });

  test("task - an instruction the classifier is unsure of is 422 task_unclear, naming candidates; an explicit task runs", async () => {
    const err = await expectError(await postEdit(sys.httpUrl, { image: png, instruction: "make the star blue", steps: "2" }), 422, "task_unclear", '"task" field');
    const candidates = (err.details as { candidates: { task: string; confidence: number }[] }).candidates;
    assert.equal(candidates.length, 3);
    assert.ok(candidates.every((c) => c.confidence < 0.5));
    assert.equal((await postEdit(sys.httpUrl, { image: png, instruction: "make the star blue", task: candidates[0]!.task, steps: "2" })).status, 200);
  });

  test("task - unknown name lists the known ones", async () => {
    const err = await expectError(await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", task: "teleport" }), 400, "unknown_task");
    const known = (err.details as { known: string[] }).known;
    assert.ok(known.includes("remove") && known.length === 16, String(known));
  });

  test("numbers - steps, guidance and seed out of range or not numbers", async () => {
    const cases: [string, string][] = [
      ["steps", "0"],
      ["steps", "151"],
      ["steps", "ten"],
      ["steps", "2.5"],
      ["guidance_scale", "-1"],
      ["guidance_scale", "abc"],
      ["image_guidance_scale", "1e9"],
      ["seed", "-3"],
      ["seed", "4294967296"],
      ["seed", "0x10"],
      ["output_format", "gif"],
    ];
    for (const [field, value] of cases) {
      await expectError(await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", [field]: value }), 400, "invalid_argument", field);
    }
    // a negative number is out of range, and the message says the range
    const steps = await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", steps: "-3" });
    await expectError(steps, 400, "invalid_argument", 'steps: must be an integer in 1..150, got "-3"');
    const seed = await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", seed: "-1" });
    await expectError(seed, 400, "invalid_argument", 'seed: must be an integer in 0..4294967295, got "-1"');
  });

  test("json - a field of the wrong type says what it must be", async () => {
    const json = (body: Record<string, unknown>) =>
      fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: png.toString("base64"), ...body }) });
    await expectError(await json({ instruction: 42 }), 400, "invalid_argument", "instruction: must be a string, got 42");
    await expectError(await json({ instruction: "x", steps: [4] }), 400, "invalid_argument", "steps: must be an integer in 1..150, got [4]");
    await expectError(await json({ instruction: "x", task: { name: "remove" } }), 400, "invalid_argument", "task: must be a string");
  });

  test("body - oversized body is 413 before it is read", { timeout: 30_000 }, async () => {
    // Raw HTTP: the server answers as soon as it sees Content-Length, while the client is still
    // uploading; fetch() would report the aborted upload instead of the response.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${sys.httpUrl}/v1/edits`, {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=x", "content-length": String(3 * 1024 * 1024) },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", resetOrFail(reject));
      req.write(Buffer.alloc(64 * 1024, 1));
    });
    assert.equal(status, 413);
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, "payload_too_large");
  });

  test("body - a body that grows past the limit without Content-Length is 413 too", { timeout: 30_000 }, async () => {
    const { status } = await new Promise<{ status: number }>((resolve, reject) => {
      const req = http.request(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: { "content-type": "multipart/form-data; boundary=x", "transfer-encoding": "chunked" } });
      req.on("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.on("error", resetOrFail(reject));
      const chunk = Buffer.alloc(256 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 413);
  });

  test("body - malformed JSON and unsupported content type", async () => {
    const bad = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    await expectError(bad, 400, "invalid_body");
    const base64 = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: "@@@", instruction: "x" }) });
    await expectError(base64, 400, "invalid_argument", "image");
    const text = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
    await expectError(text, 415, "unsupported_media_type");
  });

  test("routes - unknown path is a JSON 404, a known path with another method 405 with Allow", async () => {
    await expectError(await fetch(`${sys.httpUrl}/v2/nothing`), 404, "not_found");
    const get = await fetch(`${sys.httpUrl}/v1/edits`);
    assert.equal(get.headers.get("allow"), "POST");
    await expectError(get, 405, "method_not_allowed", "/v1/edits accepts POST, not GET");
    const post = await fetch(`${sys.httpUrl}/v1/tasks`, { method: "POST" });
    assert.equal(post.headers.get("allow"), "GET");
    await expectError(post, 405, "method_not_allowed");
  });

  test("logs - every request leaves one line: method, route, status, duration, edit id, task", async () => {
    const ok = await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", task: "local", steps: "2" });
    assert.equal(ok.status, 200);
    const id = ok.headers.get("x-edit-id")!;
    const slow = await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", task: "remove", timeout_ms: "1" });
    assert.equal(slow.status, 504);
    await expectError(await postEdit(sys.httpUrl, { image: png, instruction: "x", steps: "0" }), 400, "invalid_argument");
    const requests = () => gatewayLines.filter((l) => / info gateway: request /.test(l));
    await waitFor(() => requests().some((l) => l.includes("status=504")), { timeoutMs: 5000, description: "the 504's log line" });
    assert.ok(requests().some((l) => l.includes(`edit_id=${id}`) && l.includes("task=local") && l.includes("status=200") && /duration_ms=\d/.test(l)), "the 200's line");
    assert.ok(requests().some((l) => l.includes("method=POST route=/v1/edits status=504") && /edit_id=[0-9a-f-]{36}/.test(l)), "the 504's line names its edit");
    assert.ok(requests().some((l) => l.includes("method=POST route=/v1/edits status=400")), "the 400's line");
    assert.ok(requests().some((l) => l.includes("method=GET route=/v1/edits status=405")), "the 405's line");
    assert.ok(requests().some((l) => l.includes("route=(unknown) status=404")), "the 404's line");
  });

  test("cli - a step count over the server's limit is answered with the server's range", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "emuedit-cli-"));
    try {
      const input = path.join(dir, "in.png");
      await writeFile(input, png);
      const out = { text: "", write: (s: string) => void (out.text += s) };
      const err = { text: "", write: (s: string) => void (err.text += s) };
      const code = await main(["edit", input, "make the circle blue", "--task", "local", "--steps", "1000", "-o", path.join(dir, "out.png"), "--server", sys.grpcAddress], {
        stdout: out,
        stderr: err,
      });
      assert.equal(code, ExitCode.failure);
      assert.match(err.text, /^emuedit: server error: INVALID_ARGUMENT: steps: must be an integer in 1\.\.150, got 1000$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("after all of that the system still edits", async () => {
    const res = await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", task: "local", steps: "2" });
    assert.equal(res.status, 200);
  });
});
