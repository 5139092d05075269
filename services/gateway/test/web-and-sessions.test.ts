import { test, describe } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeImage, encodeImage } from "@emuedit/imaging";
import { preserveUnedited } from "../src/sessions/session-service.js";
import { CONTENT_SECURITY_POLICY, staticSite } from "../src/web/static-site.js";

const LIMITS = { maxInputBytes: 1 << 20, maxInputPixels: 1 << 20 };

async function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Promise<Uint8Array> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return (await encodeImage({ width, height, data }, "png")).bytes;
}

describe("sessions", () => {
  test("thresholding - pixels barely changed keep the parent's value, large changes stay", async () => {
    // Parent: grey. Edit: a red block in the top-left 4x4 corner, +2 grey levels everywhere else.
    const parent = await png(16, 16, () => [128, 128, 128]);
    const edited = await png(16, 16, (x, y) => (x < 4 && y < 4 ? [220, 40, 40] : [130, 130, 130]));
    const { bytes, revertedPixels } = await preserveUnedited(parent, edited, 0.03, LIMITS);
    const out = await decodeImage(bytes, LIMITS);
    const at = (x: number, y: number) => [...out.data.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3)];
    assert.deepEqual(at(0, 0), [220, 40, 40], "the edit stays");
    assert.deepEqual(at(15, 15), [128, 128, 128], "the drift is undone");
    // The 3x3 blur spreads the block's change one pixel out: those pixels keep the edit too.
    assert.deepEqual(at(4, 4), [130, 130, 130]);
    assert.equal(revertedPixels, 16 * 16 - 5 * 5);
    assert.equal((await preserveUnedited(parent, edited, 1, LIMITS)).revertedPixels, 16 * 16, "threshold 1 reverts every pixel");
  });
});

describe("web", () => {
  test("web - page and versioned assets with types, caching, CSP and ETags; nothing else", async () => {
    const site = staticSite();
    assert.match(site.version, /^[0-9a-f]{12}$/);
    assert.equal(site.match("/web/other/editor.js"), undefined);
    assert.equal(site.match(`/web/${site.version}/../package.json`), undefined);
    assert.equal(site.match(`/web/${site.version}/index.html`), undefined, "the page is served at / only");
    const server = http.createServer((req, res) => {
      const m = site.match(new URL(req.url!, "http://x").pathname);
      const h = m?.methods[req.method!];
      if (!h) return void res.writeHead(404).end();
      void h(req, res, new URL(req.url!, "http://x"));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/`);
      assert.equal(page.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
      const html = await page.text();
      assert.ok(html.includes(`/web/${site.version}/editor.js`), "the page names the current version");
      assert.ok(!html.includes("{{assets}}"));
      for (const [file, type] of [
        ["editor.js", "text/javascript; charset=utf-8"],
        ["api.js", "text/javascript; charset=utf-8"],
        ["editor.css", "text/css; charset=utf-8"],
      ] as const) {
        const res = await fetch(`${base}/web/${site.version}/${file}`);
        assert.equal(res.status, 200, file);
        assert.equal(res.headers.get("content-type"), type);
        assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
        const again = await fetch(`${base}/web/${site.version}/${file}`, { headers: { "if-none-match": res.headers.get("etag")! } });
        assert.equal(again.status, 304);
      }
      const head = await fetch(`${base}/`, { method: "HEAD" });
      assert.equal(head.status, 200);
    } finally {
      server.close();
    }
  });
});
