import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import { LatentPublishError } from "./errors.js";
import { encodeLatent, LatentHeader, type LatentPublishInput } from "./latent-codec.js";
import { latentObjectName, openLatentObjects } from "./latent-objects.js";
import { DEFAULT_LATENT_MAX_AGE_MS, LATENT_STREAM, latentSubject } from "./latent-stream.js";
import type { StorageKind } from "./stream-setup.js";

export interface LatentPublisherOptions {
  /** Lifetime of objects holding oversize latents (default DEFAULT_LATENT_MAX_AGE_MS). */
  objectTtlMs?: number;
  /** Replicas and storage of the object bucket: the latent stream's (default 1, memory). */
  objectReplicas?: number;
  objectStorage?: StorageKind;
  /** A bucket of the other storage type is deleted and created anew (LatentObjectsOptions.onRecreate). */
  onRecreateObjects?: (message: string) => void;
  /** JetStream publish / purge / object put timeout (default 5000 ms). */
  timeoutMs?: number;
}

export interface LatentPublishResult {
  /** Stream sequence of the latent (or reference) message. */
  seq: number;
  /** Set when the payload went to the object store; the message carries only headers. */
  objectName?: string;
  /** Payload bytes (latent + scheduler state). */
  payloadBytes: number;
}

export interface LatentPublisher {
  publish(input: LatentPublishInput): Promise<LatentPublishResult>;
  /**
   * The edit stopped but may be continued elsewhere (its caller went away): forget its object
   * bookkeeping and keep its checkpoint (message and newest objects) for a resume, until the
   * stream's max age and the bucket's TTL remove them.
   */
  release(editId: string): void;
  /**
   * The edit is over for good (its caller has the result, or it failed): remove its checkpoint,
   * the subject's message and its objects, and forget it. The bookkeeping is dropped even when
   * the purge fails (then max age removes the leftovers), and the failure is thrown.
   */
  purge(editId: string): Promise<void>;
  /** Edits whose objects are being tracked (0 when no edit runs). */
  readonly trackedEdits: number;
}

/** Bytes the NATS protocol adds for headers: "NATS/1.0\r\n" + "K: V\r\n"... + "\r\n". */
function headerBytes(headers: Record<string, string>): number {
  let size = 12;
  for (const [k, v] of Object.entries(headers)) size += Buffer.byteLength(k) + Buffer.byteLength(v) + 4;
  return size;
}
/** Room for the Nats-Msg-Id header and any rounding: keeps us clearly below the limit. */
const HEADER_SLACK_BYTES = 256;
/** Objects of an edit kept while it runs: the newest step's and the one before. */
const OBJECTS_KEPT = 2;

/**
 * Publishes each step's latent to emuedit.latents.<editId> (JetStream, acked).
 * Payloads that would exceed the server's max payload go to the object store and the message
 * carries `Emuedit-Object: <name>` instead. Objects older than the previous step are deleted
 * once the new message is stored (readCheckpoint retries on a vanished object).
 */
export function createLatentPublisher(nc: NatsConnection, options: LatentPublisherOptions = {}): LatentPublisher {
  const timeoutMs = options.timeoutMs ?? 5000;
  const js: JetStreamClient = jetstream(nc, { timeout: timeoutMs });
  let jsm: Promise<JetStreamManager> | undefined;
  let objects: Promise<ObjectStore> | undefined;
  /** editId -> object names of its recent oversize steps, oldest first. */
  const liveObjects = new Map<string, string[]>();

  const objectStore = () => {
    objects ??= openLatentObjects(js, {
      ttlMs: options.objectTtlMs ?? DEFAULT_LATENT_MAX_AGE_MS,
      ...(options.objectReplicas !== undefined ? { replicas: options.objectReplicas } : {}),
      ...(options.objectStorage !== undefined ? { storage: options.objectStorage } : {}),
      ...(options.onRecreateObjects ? { onRecreate: options.onRecreateObjects } : {}),
    }).catch((err: unknown) => {
      objects = undefined;
      throw err;
    });
    return objects;
  };

  /** Best effort: the bucket TTL removes what a failed delete leaves behind. */
  async function deleteObjects(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const store = await objectStore().catch(() => null);
    if (store === null) return;
    await Promise.all(names.map((name) => store.delete(name).catch(() => undefined)));
  }

  /**
   * Deletes superseded objects of this edit, keeping the newest OBJECTS_KEPT so a preview
   * reader one step behind still finds its bytes; after the final step only its object stays
   * (tracked until release or purge).
   */
  async function retireObjects(input: LatentPublishInput, objectName: string | undefined): Promise<void> {
    const names = liveObjects.get(input.editId) ?? [];
    if (objectName !== undefined && !names.includes(objectName)) names.push(objectName);
    const keep = input.step >= input.totalSteps ? (objectName === undefined ? 0 : 1) : OBJECTS_KEPT;
    const retired = names.splice(0, Math.max(0, names.length - keep));
    if (names.length === 0) liveObjects.delete(input.editId);
    else liveObjects.set(input.editId, names);
    await deleteObjects(retired);
  }

  return {
    release: (editId) => void liveObjects.delete(editId),
    async purge(editId) {
      const subject = latentSubject(editId);
      const names = liveObjects.get(editId) ?? [];
      liveObjects.delete(editId);
      try {
        jsm ??= js.jetstreamManager(false);
        await (await jsm).streams.purge(LATENT_STREAM, { filter: subject });
      } catch (err) {
        jsm = undefined;
        throw new LatentPublishError(`purging ${subject} from ${LATENT_STREAM} failed`, { cause: err });
      } finally {
        await deleteObjects(names);
      }
    },
    get trackedEdits() {
      return liveObjects.size;
    },
    async publish(input) {
      const subject = latentSubject(input.editId);
      const { headers, payload } = encodeLatent(input);
      const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
      let objectName: string | undefined;
      let body = payload;
      if (payload.byteLength + headerBytes(headers) + HEADER_SLACK_BYTES > maxPayload) {
        objectName = latentObjectName(input.editId, input.step);
        headers[LatentHeader.Object] = objectName;
        body = new Uint8Array(0);
        try {
          await (await objectStore()).putBlob({ name: objectName }, payload, { timeout: timeoutMs });
        } catch (err) {
          throw new LatentPublishError(`storing ${payload.byteLength} latent bytes of ${subject} as object ${objectName} failed`, { cause: err });
        }
      }
      const h = natsHeaders();
      for (const [k, v] of Object.entries(headers)) h.set(k, v);
      let seq: number;
      try {
        // Nats-Msg-Id makes a retried publish of the same step a no-op within the duplicate window.
        const ack = await js.publish(subject, body, { headers: h, msgID: `${input.editId}:${input.step}`, timeout: timeoutMs });
        seq = ack.seq;
      } catch (err) {
        throw new LatentPublishError(
          `publishing step ${input.step} of ${subject} failed (is the ${LATENT_STREAM} stream created? see ensureLatentStream)`,
          { cause: err },
        );
      }
      await retireObjects(input, objectName);
      const result: LatentPublishResult = { seq, payloadBytes: payload.byteLength };
      if (objectName !== undefined) result.objectName = objectName;
      return result;
    },
  };
}
