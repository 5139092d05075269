// Driving the web editor as a person does, with playwright-core and Debian's chromium (headless,
// loopback only). Shared by the browser suite and `pnpm run screenshots`.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium (apt-get install chromium); EMUEDIT_CHROMIUM names another binary. */
export const CHROMIUM = process.env.EMUEDIT_CHROMIUM ?? "/usr/bin/chromium";
export const chromiumMissing = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium, or set EMUEDIT_CHROMIUM)`;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Nothing but the gateway on 127.0.0.1: no proxy, no background traffic to anywhere else.
    args: ["--no-proxy-server", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/**
 * A page on the editor that records script errors and CSP violations (both must stay empty);
 * resolves once the page has loaded the task list (with keys required, use openPage).
 */
export async function openEditor(browser: Browser, url: string, viewport = { width: 1100, height: 820 }): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(browser, url, viewport);
  await opened.page.waitForFunction(() => document.querySelectorAll("#task option").length > 1, undefined, { timeout: 30_000 });
  return opened;
}

/** openEditor without waiting for the task list. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1100, height: 820 }): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (m) => {
    // A refused request shows as a failed load (4xx answers are the API speaking, not faults).
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { page, problems };
}

export async function waitForState(page: Page, state: string, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: timeoutMs });
}

/** Uploads through the file input, as choosing a file does. */
export async function chooseImage(page: Page, file: string | { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await page.setInputFiles("#file", file);
}

export interface EditOptions {
  task?: string;
  steps?: number;
  seed?: number;
  preserve?: boolean;
}

/** Fills the form and presses Edit; resolves when the edit has started. */
export async function startEdit(page: Page, instruction: string, options: EditOptions = {}): Promise<void> {
  await page.fill("#instruction", instruction);
  if (options.task !== undefined) await page.selectOption("#task", options.task);
  if (options.steps !== undefined || options.seed !== undefined || options.preserve !== undefined) {
    if (!(await page.locator("#advanced").evaluate((d) => (d as HTMLDetailsElement).open))) await page.click("#advanced summary");
    if (options.steps !== undefined) await page.fill("#steps", String(options.steps));
    if (options.seed !== undefined) await page.fill("#seed", String(options.seed));
    if (options.preserve !== undefined) await page.setChecked("#preserve", options.preserve);
  }
  await page.click("#editButton");
  await waitForState(page, "editing", 30_000);
}

/** Waits until the head is turn `n` and the page is idle again. */
export async function waitForTurn(page: Page, n: number, timeoutMs = 180_000): Promise<void> {
  await page.waitForFunction(
    (t) => document.body.dataset.state === "ready" && document.querySelector(`#history button[data-turn="${t}"][aria-current="true"]`) !== null,
    n,
    { timeout: timeoutMs },
  );
  // The images of the turn have loaded (a screenshot shows them).
  await page.waitForFunction(() => [...document.querySelectorAll("#stage img:not([hidden])")].every((i) => (i as HTMLImageElement).complete));
}

/** page.waitForFunction whose timeout says what the page showed instead. */
export async function waitUntil(page: Page, what: string, fn: (arg: string) => boolean, arg = "", timeoutMs = 60_000): Promise<void> {
  try {
    await page.waitForFunction(fn, arg, { timeout: timeoutMs });
  } catch (err) {
    const seen = await page.evaluate(() => ({
      state: document.body.dataset.state,
      message: document.querySelector("#message")?.textContent,
      progress: document.querySelector("#progressText")?.textContent,
      caption: document.querySelector("#caption")?.textContent,
    }));
    throw new Error(`waited for ${what}; the page shows ${JSON.stringify(seen)}`, { cause: err });
  }
}

/** Waits for the message area to say `text`. */
export function waitForMessage(page: Page, text: RegExp, timeoutMs = 60_000): Promise<void> {
  return waitUntil(page, `the message ${text}`, (source) => new RegExp(source).test(document.querySelector("#message")?.textContent ?? ""), text.source, timeoutMs);
}

/** True when the page scrolls sideways (it should not, at any width). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
