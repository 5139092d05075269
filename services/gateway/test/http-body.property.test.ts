// Properties of the HTTP body parser over arbitrary bodies (fast-check): any content type and
// bytes, multipart bodies with arbitrary parts and JSON documents of any shape either parse into
// fields or fail with a documented 4xx EmueditError, never another error.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EmueditError, HTTP_STATUS } from "@emuedit/errors";
import { parseEditBody } from "../src/http-body.js";
import { parseOpenAiEdit } from "../src/openai.js";

const DOCUMENTED = new Set(["invalid_body", "invalid_argument", "unsupported_media_type", "model_not_found"]);

async function outcome(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof EmueditError, `not an EmueditError: ${String(err)}`);
    const status = HTTP_STATUS[err.status];
    assert.ok(status >= 400 && status < 500, `${status} ${err.message}`);
    assert.ok(DOCUMENTED.has(err.code), err.code);
  }
}

const FIELD = fc.constantFrom("image", "instruction", "steps", "seed", "task", "prompt", "n", "size", "response_format", "model", "mask", "image[]", "x");
const BOUNDARY = "fcboundary7MA4YWxk";

/** A multipart body of arbitrary text and file parts, sometimes cut short or with a junk tail. */
const multipart = fc
  .record({
    parts: fc.array(fc.record({ name: FIELD, file: fc.boolean(), data: fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1"))) }), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ parts, cut }) => {
    const text = parts
      .map((p) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${p.file ? '; filename="f.png"\r\nContent-Type: image/png' : ""}\r\n\r\n${p.data}\r\n`)
      .join("") + `--${BOUNDARY}--\r\n`;
    const body = Buffer.from(text, "latin1");
    return cut === undefined ? body : body.subarray(0, cut % (body.length + 1));
  });

describe("http body properties", () => {
  test("parseEditBody - any content type and bytes: fields or a documented 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.constantFrom("application/json", "multipart/form-data", `multipart/form-data; boundary=${BOUNDARY}`, "text/plain", "APPLICATION/JSON; charset=utf-8")),
        fc.uint8Array({ maxLength: 256 }),
        (type, bytes) => outcome(() => parseEditBody(type, Buffer.from(bytes))),
      ),
      { numRuns: 500 },
    );
  });

  test("parseEditBody - JSON documents of any shape: fields or a documented 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.dictionary(FIELD, fc.jsonValue()).map((o) => JSON.stringify(o))), (doc) =>
        outcome(() => parseEditBody("application/json", Buffer.from(doc))),
      ),
      { numRuns: 500 },
    );
  });

  test("parseEditBody and the OpenAI fields - arbitrary multipart parts: fields or a documented 4xx", async () => {
    const opts = { modelName: "fixture-tiny", maxN: 4, sizes: ["256x256"], results: null, publicUrl: "" };
    await fc.assert(
      fc.asyncProperty(multipart, async (body) => {
        const type = `multipart/form-data; boundary=${BOUNDARY}`;
        await outcome(() => parseEditBody(type, body));
        await outcome(async () => parseOpenAiEdit(await new Response(body, { headers: { "content-type": type } }).formData().catch(() => new FormData()), opts));
      }),
      { numRuns: 300 },
    );
  });
});
