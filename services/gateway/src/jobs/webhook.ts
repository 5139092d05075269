// Job webhooks: one signed JSON POST per finished job, retried with exponential backoff.
//
// Signature (docs/api.md, "Webhooks"): X-Emuedit-Timestamp is the send time in Unix seconds,
// X-Emuedit-Signature is "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body). Signing the
// timestamp with the body lets a receiver refuse replays of an old delivery.
import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { InvalidEditError } from "@emuedit/edit-contract";

export interface WebhookOptions {
  readonly secret: string;
  readonly maxAttempts: number;
  /** Wait before the second attempt; doubled after each failure. */
  readonly backoffMs: number;
  readonly timeoutMs: number;
}

export interface WebhookOutcome {
  readonly delivered: boolean;
  readonly attempts: number;
  readonly lastError?: string;
}

export const SIGNATURE_HEADER = "x-emuedit-signature";
export const TIMESTAMP_HEADER = "x-emuedit-timestamp";

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The request's callback_url: an absolute http(s) URL, and only when a secret can sign it. */
export function parseCallbackUrl(value: unknown, secret: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new InvalidEditError("callback_url", `must be a string, got ${JSON.stringify(value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidEditError("callback_url", `must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidEditError("callback_url", `must use http or https, got ${JSON.stringify(url.protocol.slice(0, -1))}`);
  }
  if (url.username || url.password) throw new InvalidEditError("callback_url", "must not carry credentials");
  if (!secret) throw new InvalidEditError("callback_url", "is not accepted by this gateway: EMUEDIT_WEBHOOK_SECRET is not set");
  return url.toString();
}

/**
 * POSTs `payload` until a 2xx answer, at most `maxAttempts` times. Any other answer, a network
 * error or a timeout is retried; `signal` (the gateway stopping) ends the retries early.
 */
export async function deliverWebhook(url: string, payload: unknown, options: WebhookOptions, signal: AbortSignal): Promise<WebhookOutcome> {
  const body = JSON.stringify(payload);
  let lastError = "";
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    if (attempt > 1) {
      const waited = await sleep(options.backoffMs * 2 ** (attempt - 2), true, { signal }).catch(() => false);
      if (!waited) return { delivered: false, attempts: attempt - 1, lastError: `${lastError}; stopped: the gateway is shutting down` };
    }
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signWebhook(options.secret, timestamp, body) },
        body,
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
      });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) return { delivered: true, attempts: attempt };
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }
  return { delivered: false, attempts: options.maxAttempts, lastError };
}
