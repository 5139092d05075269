// The web editor in a real browser (headless chromium via playwright-core) against the real
// system on the fixture model: upload, predicted task, an edit whose step previews show before
// its result, compare, a second turn, undo, download, errors, cancel, the keyboard alone, and a
// phone-width screen. Screenshots of each state go to test/artifacts/web-editor/ (gitignored).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchSystem, REPO_ROOT, type RunningSystem } from "@emuedit/launcher";
import { ACCEPT_ANY_TASK, FIXTURE_MODEL } from "./helpers.js";
import { chooseImage, chromiumMissing, launchBrowser, openEditor, screenshot, scrollsSideways, startEdit, waitForMessage, waitForState, waitUntil, waitForTurn } from "./web-page.js";

const ARTIFACTS = path.join(REPO_ROOT, "test", "artifacts", "web-editor");
const EXAMPLE = path.join(REPO_ROOT, "examples", "red-circle.png");
/** Enough steps on the fixture model for several previews to arrive before the result. */
const MANY_STEPS = 300;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("web editor", { skip: chromiumMissing }, () => {
  let sys: RunningSystem;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    [sys, browser] = await Promise.all([
      launchSystem({
        modelDir: FIXTURE_MODEL,
        privateNats: true,
        onLine: () => undefined,
        env: { ...ACCEPT_ANY_TASK, EMUEDIT_MAX_STEPS: "1000", EMUEDIT_SSE_PREVIEW_INTERVAL_MS: "50" },
      }),
      launchBrowser(),
    ]);
    ({ page, problems } = await openEditor(browser, sys.httpUrl));
  });

  after(async () => {
    await browser?.close();
    await sys?.stop();
  });

  test("web - choose an image, see it and the predicted task", async () => {
    await screenshot(page, ARTIFACTS, "01-empty");
    await chooseImage(page, EXAMPLE);
    await waitForTurn(page, 0);
    assert.match(await page.textContent("#caption") ?? "", /Your image \(64×64\)/);
    await page.fill("#instruction", "make the circle blue");
    await page.waitForFunction(() => /Predicted task: [a-z_-]+ \(\d+% sure\)/.test(document.querySelector("#prediction")?.textContent ?? ""));
    await screenshot(page, ARTIFACTS, "02-image-and-prediction");
  });

  test("web - an edit shows step previews and progress before its result, then before/after", async () => {
    await startEdit(page, "make the circle blue", { task: "local", steps: MANY_STEPS, seed: 7 });
    // A preview frame while the edit is still running.
    await page.waitForFunction(() => document.body.dataset.state === "editing" && Number(document.querySelector<HTMLElement>("#preview")?.dataset.frames) >= 1, undefined, {
      timeout: 60_000,
    });
    assert.equal(await page.isVisible("#preview"), true);
    assert.ok(Number(await page.getAttribute("#progress", "value")) >= 1);
    assert.match(await page.textContent("#progressText") ?? "", /step \d+ of 300/);
    await screenshot(page, ARTIFACTS, "03-editing-preview");

    await waitForTurn(page, 1);
    assert.equal(await page.isVisible("#preview"), false);
    assert.match(await page.textContent("#caption") ?? "", /Turn 1: “make the circle blue” \(task local, seed 7/);
    assert.equal(await page.isVisible("#compare"), true);
    assert.match(await page.getAttribute("#after", "data-url") ?? "", /\/turns\/1\/image$/);
    assert.match(await page.getAttribute("#before", "data-url") ?? "", /\/turns\/0\/image$/);
    await page.fill("#compare", "20");
    assert.equal(await page.$eval("#after", (i) => (i as HTMLElement).style.clipPath), "inset(0px 0px 0px 20%)");
    await screenshot(page, ARTIFACTS, "04-result-compare");
  });

  test("web - a second turn edits the result; undo goes back; the history branches", async () => {
    await startEdit(page, "make the circle green", { steps: 10 });
    await waitForTurn(page, 2);
    assert.match(await page.getAttribute("#before", "data-url") ?? "", /\/turns\/1\/image$/, "turn 2 edited turn 1's result");
    assert.equal(await page.locator("#history button").count(), 3);
    await screenshot(page, ARTIFACTS, "05-second-turn");

    await page.click("#undoButton");
    await waitForTurn(page, 1);
    assert.match(await page.textContent("#caption") ?? "", /Turn 1:/);

    // Branch: from turn 0 in the history strip, then edit.
    await page.click('#history button[data-turn="0"]');
    await waitForTurn(page, 0);
    assert.equal(await page.isDisabled("#undoButton"), true, "nothing to undo at the original");
    await startEdit(page, "remove the circle", { steps: 5 });
    await waitForTurn(page, 3);
    assert.match(await page.textContent('#history button[data-turn="3"]') ?? "", /\(from 0\)/);
    await screenshot(page, ARTIFACTS, "06-history-branch");
  });

  test("web - download saves the head's image as a PNG", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    assert.match(download.suggestedFilename(), /^emuedit-[0-9a-f]{8}-turn-3\.png$/);
    const file = path.join(ARTIFACTS, "downloaded.png");
    await download.saveAs(file);
    const bytes = await readFile(file);
    assert.ok(bytes.subarray(0, 8).equals(PNG_SIGNATURE), "a PNG file");
  });

  test("web - errors in words: a file that is not an image, a bad setting; cancel", async () => {
    await chooseImage(page, { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("these are notes, not a picture") });
    await waitForMessage(page, /not an image the editor can read/);
    await screenshot(page, ARTIFACTS, "07-error-not-an-image");
    assert.match(await page.textContent("#caption") ?? "", /Turn 3/, "the session is still there");

    await page.fill("#instruction", "make it red");
    await page.fill("#steps", "100000");
    await page.click("#editButton");
    await waitForMessage(page, /Please check “Steps”: must be an integer in 1\.\.1000/);
    await waitForState(page, "ready");

    await startEdit(page, "make it red", { steps: 1000 });
    await waitUntil(page, "a step", () => Number((document.querySelector("#progress") as HTMLProgressElement).value) >= 1);
    await page.click("#cancelButton");
    await waitForMessage(page, /^The edit was cancelled\.$/);
    await waitForState(page, "ready");
    assert.match(await page.textContent("#history") ?? "", /Turn 4: cancelled/);
    await page.fill("#steps", "");
  });

  test("web - the main flow with the keyboard alone", async () => {
    const { page: kb, problems: kbProblems } = await openEditor(browser, sys.httpUrl);
    /** Presses Tab until the element `selector` has the focus. */
    const focusOn = async (selector: string) => {
      for (let i = 0; i < 40; i++) {
        if (await kb.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
        await kb.keyboard.press("Tab");
      }
      assert.fail(`Tab never reached ${selector}`);
    };
    await focusOn("#file");
    const [chooser] = await Promise.all([kb.waitForEvent("filechooser"), kb.keyboard.press("Space")]);
    await chooser.setFiles(EXAMPLE);
    await waitForTurn(kb, 0);
    assert.equal(await kb.evaluate(() => document.activeElement?.id), "instruction", "focus moves to the instruction");
    await kb.keyboard.type("make the circle blue");
    await focusOn("#task");
    await kb.keyboard.press("ArrowDown"); // the first task instead of a prediction
    await focusOn("#instruction");
    await kb.keyboard.press("Enter");
    await waitForTurn(kb, 1);
    await kb.keyboard.press("Tab"); // leave the text field: Ctrl+Z there is the field's own undo
    await kb.keyboard.press("Control+z");
    await waitForTurn(kb, 0);
    // Back to turn 1 from the history strip, then move the before/after divide with the arrows.
    await focusOn('#history button[data-turn="1"]');
    await kb.keyboard.press("Enter");
    await waitForTurn(kb, 1);
    await focusOn("#compare");
    await kb.keyboard.press("ArrowRight");
    assert.equal(await kb.$eval("#compare", (i) => (i as HTMLInputElement).value), "51");
    assert.deepEqual(kbProblems, []);
    await kb.context().close();
  });

  test("web - a 375 px wide screen has no horizontal scroll, before and after an edit", async () => {
    const { page: phone, problems: phoneProblems } = await openEditor(browser, sys.httpUrl, { width: 375, height: 740 });
    assert.equal(await scrollsSideways(phone), false, "empty page");
    await chooseImage(phone, EXAMPLE);
    await waitForTurn(phone, 0);
    await startEdit(phone, "make the circle blue", { task: "local", steps: 4 });
    await waitForTurn(phone, 1);
    await phone.click("#advanced summary");
    assert.equal(await scrollsSideways(phone), false, "with a result and the advanced settings open");
    await screenshot(phone, ARTIFACTS, "08-narrow-375px");
    assert.deepEqual(phoneProblems, []);
    await phone.context().close();
  });

  test("web - no script errors or CSP violations on the way", () => {
    assert.deepEqual(problems, []);
  });
});
