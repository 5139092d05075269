// The web editor where API keys are required (EMUEDIT_AUTH=required, as in every deployment
// beyond loopback), in a real browser against the real system: the page asks for a key, says
// so when a key is wrong or may not edit, sends it on every request (the event stream too, which
// EventSource could not), and forgets it. Then the error messages of a failed edit, each in
// words that say what happened and what to do, with the page usable afterwards: a task it is
// unsure of, a busy server, an edit that runs out of time. And an image dropped or pasted.
// Screenshots go to test/artifacts/web-editor/ (gitignored) as in web-editor.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchSystem, REPO_ROOT, type RunningSystem } from "@emuedit/launcher";
import { waitFor } from "@emuedit/testing";
import { createApiKey, FIXTURE_MODEL, sceneBytes } from "./helpers.js";
import { chooseImage, chromiumMissing, launchBrowser, openPage, screenshot, startEdit, waitForMessage, waitForState, waitForTurn, waitUntil } from "./web-page.js";

const ARTIFACTS = path.join(REPO_ROOT, "test", "artifacts", "web-editor");
const EXAMPLE = path.join(REPO_ROOT, "examples", "red-circle.png");
/**
 * An edit's deadline here (EMUEDIT_DEFAULT_TIMEOUT_MS). The fixture model's step takes 3-15 ms
 * on a CPU core (5 ms measured on a loaded 2-core machine), so the other edits here (at most 20
 * steps) end well before it, and TOO_MANY_STEPS (the most its scheduler has) well after.
 */
const TIMEOUT_MS = 1500;
const TOO_MANY_STEPS = 1000;
const RETRY_AFTER_S = 7;

describe("web editor with API keys required", { skip: chromiumMissing }, () => {
  let sys: RunningSystem;
  let browser: Browser;
  let editKey: string;
  let page: Page;
  let problems: string[];
  /** Requests the page made, with the Authorization header each carried. */
  const requests: { url: string; authorization: string | undefined }[] = [];

  before(async () => {
    [sys, browser] = await Promise.all([
      launchSystem({
        modelDir: FIXTURE_MODEL,
        privateNats: true,
        onLine: () => undefined,
        env: {
          EMUEDIT_AUTH: "required",
          // The fixture's classifier is near uniform: with 1 every predicted task is refused.
          EMUEDIT_MIN_TASK_CONFIDENCE: "1",
          EMUEDIT_MAX_QUEUED_JOBS: "2",
          EMUEDIT_RETRY_AFTER_S: String(RETRY_AFTER_S),
          EMUEDIT_DEFAULT_TIMEOUT_MS: String(TIMEOUT_MS),
          EMUEDIT_MAX_STEPS: String(TOO_MANY_STEPS),
          EMUEDIT_SSE_PREVIEW_INTERVAL_MS: "50",
        },
      }),
      launchBrowser(),
    ]);
    editKey = (await createApiKey(sys.natsUrl, "--name", "web editor")).key;
    // The gateway learns keys through its bucket watch.
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks`, { headers: { authorization: `Bearer ${editKey}` } })).ok, { timeoutMs: 10_000 });
    ({ page, problems } = await openPage(browser, sys.httpUrl));
    page.on("request", (r) => requests.push({ url: r.url(), authorization: r.headers().authorization }));
  });

  after(async () => {
    await browser?.close();
    await sys?.stop();
  });

  const dialogOpen = (p: Page) => p.evaluate(() => (document.querySelector("#keyDialog") as HTMLDialogElement).open);
  const keyError = (p: Page) => p.textContent("#keyError").then((t) => t ?? "");

  test("keys - the page asks for a key in a labelled dialog that says what a key is and who gives it out", async () => {
    await waitUntil(page, "the key dialog", () => (document.querySelector("#keyDialog") as HTMLDialogElement).open);
    assert.equal(await page.evaluate(() => document.activeElement?.id), "keyInput", "the focus is in the key field");
    // Its accessible name comes from its label; the dialog's from its heading.
    assert.equal(await page.getByLabel("API key", { exact: true }).getAttribute("id"), "keyInput");
    assert.equal(await page.getByRole("dialog", { name: "This editor needs an API key" }).count(), 1);
    const help = await page.textContent("#keyHelp");
    assert.match(help ?? "", /secret code that tells this server who you are/);
    assert.match(help ?? "", /Whoever runs this editor gives keys out/);
    assert.equal(await keyError(page), "", "no error before a key was tried");
    await screenshot(page, ARTIFACTS, "09-key-dialog");
  });

  test("keys - a wrong key is refused in words (401) and the dialog asks again", async () => {
    await page.keyboard.type("emk_not-a-real-key");
    await page.keyboard.press("Enter");
    await waitUntil(page, "the 401 message", () => /did not accept the API key/.test(document.querySelector("#keyError")?.textContent ?? ""));
    assert.match(await keyError(page), /unknown, revoked or mistyped\. Enter it again, or ask whoever runs this editor for a new one\./);
    assert.equal(await dialogOpen(page), true);
    assert.equal(await page.getAttribute("#keyInput", "aria-invalid"), "true");
    await screenshot(page, ARTIFACTS, "10-key-refused");
  });

  test("keys - the right key: the page loads, the key stays in this tab only (sessionStorage)", async () => {
    await page.fill("#keyInput", editKey);
    await page.click("#keySubmit");
    await page.waitForFunction(() => document.querySelectorAll("#task option").length > 1, undefined, { timeout: 30_000 });
    assert.equal(await dialogOpen(page), false);
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem("emuedit.apiKey"), local: localStorage.length }));
    assert.deepEqual(stored, { session: editKey, local: 0 });
    assert.equal(await page.isVisible("#forgetKey"), true);
    assert.match(await page.textContent("#keyStatus") ?? "", /An API key is in use in this tab/);
  });

  test("keys - a full edit with the key: step previews over the event stream before the result", async () => {
    await chooseImage(page, EXAMPLE);
    await waitForTurn(page, 0);
    await startEdit(page, "make the circle blue", { task: "local", steps: 20, seed: 3 });
    await waitForTurn(page, 1);
    // Frames come with step events, which the stream sends before its outcome (the result).
    assert.ok(Number(await page.getAttribute("#preview", "data-frames")) >= 1, "a preview frame before the result");
    assert.match(await page.textContent("#caption") ?? "", /Turn 1: “make the circle blue” \(task local, seed 3/);
    assert.match(await page.getAttribute("#after", "src") ?? "", /^blob:/, "the image came with the key");

    const api = requests.filter((r) => new URL(r.url).pathname.startsWith("/v1/"));
    const events = api.filter((r) => /\/v1\/edits\/[^/]+\/events$/.test(new URL(r.url).pathname));
    assert.ok(events.length >= 1, "the page read the job's events");
    const withKey = api.filter((r) => r.authorization === `Bearer ${editKey}`);
    assert.ok(events.every((r) => r.authorization === `Bearer ${editKey}`), "the event stream carried the key");
    assert.ok(withKey.some((r) => /\/turns\/1\/image$/.test(r.url)), "so did the image");
    assert.ok(requests.every((r) => !r.url.includes(editKey)), "no key in any URL");
  });

  test("drop and paste - an image dropped on the drop area, or pasted, starts a session", async () => {
    const put = async (how: "drop" | "paste", size: number) => {
      const base64 = (await sceneBytes("png", size)).toString("base64");
      await page.evaluate(
        ([b64, kind]) => {
          const bytes = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], `${kind}.png`, { type: "image/png" }));
          if (kind === "paste") return void document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
          const area = document.querySelector("#drop")!;
          area.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
          if (!area.classList.contains("over")) throw new Error("the drop area does not show it will take the file");
          area.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        },
        [base64, how],
      );
      await waitUntil(page, `the ${how}ped image`, (s) => (document.querySelector("#caption")?.textContent ?? "").includes(`Your image (${s}×${s})`), String(size));
      await waitForTurn(page, 0);
      assert.equal(await page.locator("#history button").count(), 1, "a new session of one turn");
    };
    await put("drop", 48);
    assert.equal(await page.evaluate(() => document.querySelector("#drop")!.classList.contains("over")), false);
    await put("paste", 40);
  });

  test("errors - a task the editor is unsure of (422 task_unclear): its likeliest tasks, choose one; then an edit with a task works", async () => {
    await startEdit(page, "make the circle blue", { task: "", steps: 5 });
    await waitForMessage(page, /not sure what kind of edit you mean/);
    const text = await page.textContent("#message");
    assert.match(text ?? "", /it looks most like [a-z_-]+ \(\d+%\)(, [a-z_-]+ \(\d+%\))*\. Choose one under “Task”, or reword the instruction\./);
    assert.equal(await page.isVisible("#message"), true);
    await waitForState(page, "ready");
    assert.match(await page.textContent("#history") ?? "", /Turn 1: failed/);
    await screenshot(page, ARTIFACTS, "11-error-task-unclear");

    await startEdit(page, "make the circle blue", { task: "local", steps: 5 });
    await waitForTurn(page, 2);
    assert.equal(await page.textContent("#message"), "", "the message is gone once an edit works");
  });

  test("errors - a busy server (503 with Retry-After) says when to try again; then the edit works", async () => {
    // Two long edits through the API fill this gateway's job slots (EMUEDIT_MAX_QUEUED_JOBS=2).
    const form = await jobForm();
    const jobs = await Promise.all(
      [1, 2].map(async () => {
        const res = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", body: form(), headers: { authorization: `Bearer ${editKey}`, prefer: "respond-async" } });
        assert.equal(res.status, 202, await res.clone().text());
        return ((await res.json()) as { id: string }).id;
      }),
    );
    await page.fill("#instruction", "make the circle green");
    await page.click("#editButton");
    await waitForMessage(page, new RegExp(`busy with other edits right now\\. Please try again in ${RETRY_AFTER_S} seconds\\.`));
    await waitForState(page, "ready");
    assert.equal(await page.isEnabled("#editButton"), true);
    await screenshot(page, ARTIFACTS, "12-error-busy");

    for (const id of jobs) await fetch(`${sys.httpUrl}/v1/edits/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${editKey}` } });
    // As the person would: try again until the slots are free.
    await waitFor(
      async () => {
        await page.click("#editButton"); // "editing" at once, "ready" when refused or done
        await waitForState(page, "ready");
        return page.evaluate(() => document.querySelector('#history button[aria-current="true"]')?.getAttribute("data-turn") === "3");
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    await waitForTurn(page, 3);
    // Chromium logs each refused request; the 503s were the point of this test.
    problems.splice(0, problems.length, ...problems.filter((p) => !/status of 503/.test(p)));
  });

  test("errors - an edit that runs out of time (504) says so and what to do; then a short edit works", async (t) => {
    await startEdit(page, "make the circle red", { task: "local", steps: TOO_MANY_STEPS });
    await waitForMessage(page, /^The edit took too long and was stopped\. Try fewer steps, or try again later\.$/, TIMEOUT_MS + 60_000);
    await waitForState(page, "ready");
    t.diagnostic(`progress when the ${TIMEOUT_MS} ms deadline struck: ${await page.textContent("#progressText")}`);
    assert.match(await page.textContent("#history") ?? "", /Turn 4: failed/);
    await startEdit(page, "make the circle red", { task: "local", steps: 4 });
    await waitForTurn(page, 5);
  });

  test("keys - forget key: gone from the tab; the next request asks again; declining says what to do", async () => {
    await page.click("#forgetKey");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("emuedit.apiKey")), null);
    await waitForMessage(page, /no longer has the API key\. To edit again, choose “Enter API key”/);
    assert.equal(await page.isVisible("#forgetKey"), false);
    assert.equal(await page.textContent("#keyButton"), "Enter API key");

    await page.click('#history button[data-turn="0"]');
    await waitUntil(page, "the key dialog", () => (document.querySelector("#keyDialog") as HTMLDialogElement).open);
    assert.equal(await keyError(page), "", "no key was sent: nothing was refused");
    await page.keyboard.press("Escape");
    await waitForMessage(page, /This server needs an API key before it edits images\. Choose “Enter API key”/);
    assert.equal(await dialogOpen(page), false);

    // A reload starts without a key.
    await page.reload();
    await waitUntil(page, "the key dialog after a reload", () => (document.querySelector("#keyDialog") as HTMLDialogElement).open);
    await page.fill("#keyInput", editKey);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelectorAll("#task option").length > 1, undefined, { timeout: 30_000 });
  });

  test("keys - a key without the edit scope (403) is told what it lacks", async () => {
    const adminOnly = (await createApiKey(sys.natsUrl, "--name", "admin only", "--scope", "admin")).key;
    await waitFor(async () => (await fetch(`${sys.httpUrl}/v1/tasks/predict`, { method: "POST", headers: { authorization: `Bearer ${adminOnly}` } })).status === 403, {
      timeoutMs: 10_000,
    });
    const { page: other, problems: otherProblems } = await openPage(browser, sys.httpUrl);
    await waitUntil(other, "the key dialog", () => (document.querySelector("#keyDialog") as HTMLDialogElement).open);
    await other.fill("#keyInput", adminOnly);
    await other.keyboard.press("Enter");
    await waitForMessage(other, /Your API key may not edit images \(it lacks the “edit” scope\)\. Ask whoever runs this editor for a key that may edit, then choose “Forget key” and enter it\./);
    assert.equal(await other.isVisible("#forgetKey"), true);
    await screenshot(other, ARTIFACTS, "13-key-lacks-scope");
    assert.deepEqual(otherProblems, []);
    await other.context().close();
  });

  test("keys - no script errors or CSP violations on the way", () => {
    assert.deepEqual(problems, []);
  });
});

/** A multipart body of a long edit (a new FormData each call: a body is read once). */
async function jobForm(): Promise<() => FormData> {
  const image = new Uint8Array(await sceneBytes());
  return () => {
    const form = new FormData();
    form.append("image", new Blob([image], { type: "image/png" }), "scene.png");
    form.append("instruction", "make the circle green");
    form.append("task", "local");
    form.append("steps", String(TOO_MANY_STEPS));
    form.append("timeout_ms", "120000");
    return form;
  };
}
