// Every bad request gets a 4xx with {error: {code, message}}, and the system keeps serving.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import sharp from "sharp";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { resetOrFail } from "@emuedit/testing";
import { errorBody, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

let sys: RunningSystem;
let png: Buffer;

before(async () => {
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: () => undefined,
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

  test("image - zero bytes and missing", async () => {
    await expectError(await postEdit(sys.httpUrl, { image: Buffer.alloc(0), instruction: "make the circle blue" }), 400, "invalid_argument", "image");
    await expectError(await postEdit(sys.httpUrl, { instruction: "make the circle blue" }), 400, "invalid_argument", "image");
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

  test("routes - unknown path is a JSON 404", async () => {
    await expectError(await fetch(`${sys.httpUrl}/v2/nothing`), 404, "not_found");
  });

  test("after all of that the system still edits", async () => {
    const res = await postEdit(sys.httpUrl, { image: png, instruction: "make the circle blue", steps: "2" });
    assert.equal(res.status, 200);
  });
});
