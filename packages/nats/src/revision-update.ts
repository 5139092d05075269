// Revision-checked read-modify-write of one KV key, shared by the job and session stores: two
// writers racing on a key never lose each other's change, the loser reads again and retries.
import type { KV } from "@nats-io/kv";
import { isWrongLastSequence } from "./kv-bucket.js";

/** Retries before a key that keeps changing under us is given up (the error is rethrown). */
const WRITE_ATTEMPTS = 20;

/**
 * `read` gets the current value and its revision (null: gone, `missing` is thrown); `change`
 * returns its successor (it may run more than once; what it throws ends the write).
 */
export async function updateWithRevision<T>(
  kv: KV,
  key: string,
  read: () => Promise<{ record: T; revision: number } | null>,
  change: (current: T) => T,
  encode: (record: T) => Uint8Array,
  missing: () => Error,
): Promise<{ record: T; revision: number }> {
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    if (current === null) throw missing();
    const next = change(current.record);
    try {
      return { record: next, revision: await kv.update(key, encode(next), current.revision) };
    } catch (err) {
      if (!isWrongLastSequence(err) || attempt >= WRITE_ATTEMPTS) throw err;
    }
  }
}
