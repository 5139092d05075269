import { setTimeout as sleep } from "node:timers/promises";
import { WaitTimeoutError } from "./errors.js";

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Poll period (default 25 ms). */
  intervalMs?: number;
  /** Describes the awaited condition in the timeout error. */
  description?: string;
}

/**
 * Polls `predicate` until it returns a truthy value and resolves with that value.
 * A predicate that throws counts as "not yet"; the last error becomes the timeout's cause.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(options.description ?? "condition", timeoutMs, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
