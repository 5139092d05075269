// The empty-prompt embedding: computed once per model and shared by every edit.
import type { HostTensor } from "@emuedit/tensors";
import type { TextEncoding } from "./backends.js";

export interface UncondCache {
  /** The [1,L,D] embedding of "". `signal` stops only this caller's wait, never the shared encode. */
  get(signal: AbortSignal): Promise<HostTensor>;
}

/**
 * The shared encode runs under its own signal (`encode` should carry its own deadline): if it
 * ran under the first caller's, that client disconnecting at a cold start would fail every edit
 * waiting on it. A failed encode is forgotten, so the next edit tries again.
 */
export function createUncondCache(encode: (texts: readonly string[], signal: AbortSignal) => Promise<TextEncoding>): UncondCache {
  let pending: Promise<HostTensor> | null = null;
  const shared = new AbortController().signal; // never aborted: no caller owns the shared encode
  return {
    get(signal) {
      pending ??= encode([""], shared).then(
        (r) => r.lastHiddenState,
        (err: unknown) => {
          pending = null;
          throw err;
        },
      );
      return untilAborted(pending, signal);
    },
  };
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
