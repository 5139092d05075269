// `pnpm run screenshots`: the web editor's states on the default model, as `pnpm start` serves
// it, written to docs/images/editor-*.png for the README. Headless chromium on 127.0.0.1 only.
// Model: EMUEDIT_MODEL_DIR, else the services' default (models/emu-edit-tiny).
import path from "node:path";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { launchSystem, REPO_ROOT } from "@emuedit/launcher";
import { chooseImage, chromiumMissing, launchBrowser, openEditor, screenshot, startEdit, waitForTurn, waitUntil } from "./e2e/web-page.js";

if (chromiumMissing) {
  console.error(chromiumMissing);
  process.exit(2);
}
const OUT = path.join(REPO_ROOT, "docs", "images");
const tmp = await mkdtemp(path.join(os.tmpdir(), "emuedit-shots-"));
const sys = await launchSystem({ privateNats: true, onLine: () => undefined, env: { EMUEDIT_SSE_PREVIEW_INTERVAL_MS: "0" } });
const browser = await launchBrowser();
try {
  const shot = async (page: Parameters<typeof screenshot>[0], name: string) => copyFile(await screenshot(page, tmp, name), path.join(OUT, `${name}.png`));
  const { page } = await openEditor(browser, sys.httpUrl, { width: 1100, height: 800 });
  await chooseImage(page, path.join(REPO_ROOT, "examples", "blue-square-yellow-triangle.png"));
  await waitForTurn(page, 0);
  await page.fill("#instruction", "turn the square red");
  await waitUntil(page, "a prediction", () => /Predicted task/.test(document.querySelector("#prediction")?.textContent ?? ""));

  // Many steps, so a preview of the denoising is on screen when the picture is taken.
  await startEdit(page, "turn the square red", { steps: 150, seed: 3 });
  await waitUntil(page, "a preview", () => Number(document.querySelector<HTMLElement>("#preview")?.dataset.frames) >= 3 && Number((document.querySelector("#progress") as HTMLProgressElement).value) >= 125);
  await shot(page, "editor-previews");
  await waitForTurn(page, 1);
  await page.fill("#steps", "");
  await startEdit(page, "remove the triangle", { seed: 5 });
  await waitForTurn(page, 2);
  await page.fill("#compare", "45");
  await page.focus("#compare");
  await shot(page, "editor-result");

  const { page: phone } = await openEditor(browser, sys.httpUrl, { width: 375, height: 760 });
  await chooseImage(phone, path.join(REPO_ROOT, "examples", "red-circle.png"));
  await waitForTurn(phone, 0);
  await startEdit(phone, "make the circle blue", { seed: 2 });
  await waitForTurn(phone, 1);
  await shot(phone, "editor-narrow");
  console.log(`wrote docs/images/editor-previews.png, editor-result.png, editor-narrow.png`);
} finally {
  await browser.close();
  await sys.stop();
  await rm(tmp, { recursive: true, force: true });
}
