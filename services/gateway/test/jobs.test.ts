import { test, describe } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { EmueditError } from "@emuedit/errors";
import { decodeImage } from "@emuedit/imaging";
import { fileURLToPath } from "node:url";
import { latentPreview, loadLatentRgbFactors } from "../src/jobs/latent-preview.js";
import { parsePrefer } from "../src/jobs/prefer-header.js";
import { parseCallbackUrl, signWebhook } from "../src/jobs/webhook.js";

describe("jobs", () => {
  test("prefer - respond-async among other preferences; unknown ones ignored; malformed ones refused", () => {
    assert.equal(parsePrefer(undefined).respondAsync, false);
    assert.equal(parsePrefer("respond-async").respondAsync, true);
    assert.equal(parsePrefer("wait=10, Respond-Async").respondAsync, true);
    assert.equal(parsePrefer(["return=minimal", "respond-async; x=1"]).respondAsync, true);
    assert.equal(parsePrefer("return=minimal").respondAsync, false);
    for (const bad of ["respond-async=true", "respond async", "@@"]) assert.throws(() => parsePrefer(bad), EmueditError, bad);
  });

  test("webhook - callback_url must be http(s), absolute, without credentials, and needs a secret", () => {
    assert.equal(parseCallbackUrl(undefined, "s"), undefined);
    assert.equal(parseCallbackUrl("https://example.test/hook?a=1", "s"), "https://example.test/hook?a=1");
    for (const bad of ["ftp://h/x", "/relative", "http://u:p@h/x", 42]) assert.throws(() => parseCallbackUrl(bad, "s"), /callback_url/);
    assert.throws(() => parseCallbackUrl("http://127.0.0.1/x", ""), /EMUEDIT_WEBHOOK_SECRET/);
  });

  test("webhook - the signature covers the timestamp and the body", () => {
    const sig = signWebhook("k", "1700000000", '{"a":1}');
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    assert.notEqual(sig, signWebhook("k", "1700000001", '{"a":1}'));
    assert.notEqual(sig, signWebhook("k", "1700000000", '{"a":2}'));
    assert.notEqual(sig, signWebhook("k2", "1700000000", '{"a":1}'));
  });

  test("preview - a latent becomes a small PNG data URL with the package's factors", async () => {
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-tiny");
    const factors = loadLatentRgbFactors(dir, 4);
    const data = Float32Array.from({ length: 4 * 16 * 16 }, (_, i) => Math.sin(i / 7));
    const url = await latentPreview({ dtype: "float32", shape: [1, 4, 16, 16], data }, factors);
    assert.match(url, /^data:image\/png;base64,/);
    const img = await decodeImage(Buffer.from(url.slice(url.indexOf(",") + 1), "base64"), { maxInputBytes: 1 << 20, maxInputPixels: 1 << 20 });
    assert.equal(img.width, 128);
    assert.equal(img.height, 128);
    assert.throws(() => loadLatentRgbFactors(dir, 3), /latent_rgb_factors\.json: expected/, "factors for another latent are refused");
    // A folder without the file: SD 1.x factors for 4 channels, else grey.
    const bare = path.dirname(fileURLToPath(import.meta.url));
    assert.equal(loadLatentRgbFactors(bare, 4).weights.length, 4);
    assert.deepEqual(loadLatentRgbFactors(bare, 3).weights[0], [1 / 3, 1 / 3, 1 / 3]);
  });
});
