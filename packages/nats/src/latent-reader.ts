import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import { LatentObjectMissingError } from "./errors.js";
import { decodeLatent, LatentHeader, type LatentCheckpoint } from "./latent-codec.js";
import { openLatentObjectsForReading } from "./latent-objects.js";
import { LATENT_STREAM, latentSubject } from "./latent-stream.js";

/** A reference can lose its object to the next step's publish; re-read the newest message. */
const READ_ATTEMPTS = 3;

function headerGetter(h: MsgHdrs | undefined): (name: string) => string | undefined {
  return (name) => {
    const v = h?.get(name);
    return v === undefined || v === "" ? undefined : v;
  };
}

async function resolvePayload(
  objects: () => Promise<ObjectStore>,
  get: (name: string) => string | undefined,
  inline: Uint8Array,
): Promise<Uint8Array> {
  const objectName = get(LatentHeader.Object);
  if (objectName === undefined) return inline;
  const bytes = await (await objects()).getBlob(objectName);
  if (bytes === null) throw new LatentObjectMissingError(`latent object ${objectName} is gone (replaced by a newer step or expired)`);
  return bytes;
}

/**
 * The newest latent of an edit (its resume checkpoint), or null when the stream holds none
 * (never published, or older than the stream's max age). Uses JetStream direct get.
 */
export async function readCheckpoint(js: JetStreamClient, editId: string): Promise<LatentCheckpoint | null> {
  const subject = latentSubject(editId);
  const jsm = await js.jetstreamManager(false);
  let objects: Promise<ObjectStore> | undefined;
  const openObjects = () => (objects ??= openLatentObjectsForReading(js));
  for (let attempt = 1; ; attempt++) {
    const msg = await jsm.direct.getMessage(LATENT_STREAM, { last_by_subj: subject });
    if (msg === null) return null;
    const get = headerGetter(msg.header);
    try {
      return decodeLatent(editId, get, await resolvePayload(openObjects, get, msg.data));
    } catch (err) {
      if (!(err instanceof LatentObjectMissingError) || attempt >= READ_ATTEMPTS) throw err;
    }
  }
}

export interface WatchLatentsOptions {
  signal?: AbortSignal;
}

export interface LatentWatch extends AsyncIterable<LatentCheckpoint> {
  /** Resolves once the server has registered the subscription: await it before starting the edit. */
  ready: Promise<void>;
  /** Ends the iteration (same as aborting the signal). */
  close(): void;
}

/**
 * Live previews of one edit. A core NATS subscription on emuedit.latents.<editId>, created
 * synchronously by this call: the gateway subscribes (and awaits `ready`) BEFORE it starts the
 * edit, so no step is missed and no consumer state is left on the server. Messages arrive in
 * publish order. Steps published while this connection is reconnecting are lost; previews are
 * lossy by nature and readCheckpoint recovers the newest latent.
 *
 * Iteration ends after the final step (step === totalSteps), on abort, or when the connection
 * closes. A reference whose object was already replaced by a newer step is skipped.
 */
export function watchLatents(nc: NatsConnection, editId: string, options: WatchLatentsOptions = {}): LatentWatch {
  const subject = latentSubject(editId);
  const sub = nc.subscribe(subject);
  const close = () => sub.unsubscribe();
  const { signal } = options;
  if (signal?.aborted) close();
  signal?.addEventListener("abort", close, { once: true });
  let objects: Promise<ObjectStore> | undefined;
  const js: JetStreamClient = jetstream(nc);
  const openObjects = () => (objects ??= openLatentObjectsForReading(js));

  async function* iterate(): AsyncGenerator<LatentCheckpoint> {
    try {
      for await (const msg of sub as AsyncIterable<Msg>) {
        const get = headerGetter(msg.headers);
        let payload: Uint8Array;
        try {
          payload = await resolvePayload(openObjects, get, msg.data);
        } catch (err) {
          if (err instanceof LatentObjectMissingError) continue;
          throw err;
        }
        const checkpoint = decodeLatent(editId, get, payload);
        yield checkpoint;
        if (checkpoint.step >= checkpoint.totalSteps) break;
      }
    } finally {
      close();
      signal?.removeEventListener("abort", close);
    }
  }

  const ready = nc.flush();
  // Marks the rejection handled for callers that never await `ready`; awaiting still throws.
  ready.catch(() => undefined);
  return {
    ready,
    close,
    [Symbol.asyncIterator]: () => iterate(),
  };
}
