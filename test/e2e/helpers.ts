// Shared pieces of the end-to-end suites: the fixture model, test images, multipart requests.
import assert from "node:assert/strict";
import path from "node:path";
import sharp from "sharp";
import { main } from "@emuedit/cli";
import { REPO_ROOT } from "@emuedit/launcher";

export const FIXTURE_MODEL = path.join(REPO_ROOT, "models", "fixture-tiny");

/**
 * The fixture's task classifier has random weights: its predictions are near uniform (about
 * 1/16), so suites that let the gateway predict tasks accept any prediction. The bad-input suite
 * keeps the default minimum and tests the refusal.
 */
export const ACCEPT_ANY_TASK = { EMUEDIT_MIN_TASK_CONFIDENCE: "0" } as const;

/** `emuedit keys ...` as a user runs it, against the system's NATS; resolves with its stdout. */
export async function emueditKeys(natsUrl: string, ...argv: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: { write: (s: string) => void out.push(s), isTTY: false }, stderr: { write: (s: string) => void err.push(s), isTTY: false } };
  const code = await main(["keys", ...argv, "--nats", natsUrl], io as never);
  assert.equal(code, 0, err.join(""));
  return out.join("");
}

/** A new API key made with `emuedit keys create` (the real key store). */
export async function createApiKey(natsUrl: string, ...argv: string[]): Promise<{ key: string; id: string }> {
  return JSON.parse(await emueditKeys(natsUrl, "create", "--json", ...argv)) as { key: string; id: string };
}

/** A 64x64 synthetic-world scene: gray background, a red circle. */
export async function sceneBytes(format: "png" | "jpeg" | "webp" = "png", size = 64): Promise<Buffer> {
  const r = Math.round(size / 5);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <rect width="100%" height="100%" fill="rgb(128,128,128)"/>
    <circle cx="${size / 2}" cy="${size / 2}" r="${r}" fill="rgb(220,40,40)"/></svg>`;
  return sharp(Buffer.from(svg)).toFormat(format).toBuffer();
}

export interface EditForm {
  image?: Buffer | Uint8Array;
  filename?: string;
  [field: string]: string | Buffer | Uint8Array | undefined;
}

export function editForm(fields: EditForm): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === "filename") continue;
    if (k === "image") form.append("image", new Blob([Uint8Array.from(v as Uint8Array)]), fields.filename ?? "in.png");
    else form.append(k, String(v));
  }
  return form;
}

export async function postEdit(url: string, fields: EditForm, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/edits`, { method: "POST", body: editForm(fields), headers });
}

export async function errorBody(res: Response): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}
