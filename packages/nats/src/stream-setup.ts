// Creating a stream (or a KV / object bucket's stream) with the configuration the settings ask
// for, and bringing an existing one to it: JetStream updates limits and the replica count in
// place, but never the storage type or retention, so those differences stop start-up with an
// error that says what to do instead of being ignored.
import {
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { StreamConfigConflictError, StreamSetupError } from "./errors.js";

/** The storage a setting names (`EMUEDIT_LATENT_STORAGE`). */
export const STORAGE_KINDS = ["file", "memory"] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

export function storageType(kind: StorageKind): StorageType {
  return kind === "memory" ? StorageType.Memory : StorageType.File;
}

/** Fields JetStream refuses to change on an existing stream. */
const IMMUTABLE = ["storage", "retention"] as const;

/** The fields of `wanted` whose value differs from `current`. */
function differences(current: Partial<StreamConfig>, wanted: Partial<StreamConfig>): (keyof StreamConfig)[] {
  return (Object.keys(wanted) as (keyof StreamConfig)[]).filter(
    (key) => key !== "name" && wanted[key] !== undefined && JSON.stringify(current[key]) !== JSON.stringify(wanted[key]),
  );
}

function describe(err: unknown): string {
  return err instanceof JetStreamApiError ? `${err.message} (JetStream error ${err.code})` : String(err);
}

export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

export interface StreamSetupOptions {
  /** What the stream is, for messages: e.g. "KV bucket emuedit_tasks". */
  label: string;
  /** How to pick another value when an immutable field differs: e.g. "set EMUEDIT_LATENT_STORAGE=file". */
  hint?: string;
  /**
   * The stream holds only data that is cheap to lose (latents: previews and checkpoints of edits
   * in flight), so an immutable difference deletes and re-creates it instead of stopping the
   * service; called with what was dropped, for the log.
   */
  onRecreate?: (message: string) => void;
}

/** Deletes `name` after a conflict it may drop (options.onRecreate); rethrows the conflict otherwise. */
async function dropOnConflict(jsm: JetStreamManager, name: string, err: unknown, options: StreamSetupOptions): Promise<void> {
  if (!(err instanceof StreamConfigConflictError) || options.onRecreate === undefined) throw err;
  const info = await jsm.streams.info(name).catch(() => null);
  await jsm.streams.delete(name);
  options.onRecreate(`${err.message.split("; JetStream")[0]}: deleted and created anew with the settings (${info?.state.messages ?? 0} disposable messages dropped)`);
}

/**
 * Brings the existing stream `name` to `wanted`: fields JetStream can change are updated in one
 * request (limits, num_replicas: a scale up copies the data to the new peers); a difference in
 * storage or retention throws StreamConfigConflictError. Returns the stream's info afterwards.
 */
export async function reconcileStream(jsm: JetStreamManager, name: string, wanted: Partial<StreamConfig>, options: StreamSetupOptions): Promise<StreamInfo> {
  const info = await jsm.streams.info(name);
  const changed = differences(info.config, wanted);
  const conflicts = changed.filter((key) => (IMMUTABLE as readonly string[]).includes(key));
  if (conflicts.length > 0) {
    const what = conflicts.map((key) => `${key} ${String(info.config[key])} (the settings ask ${String(wanted[key])})`).join(", ");
    throw new StreamConfigConflictError(
      `${options.label} (stream ${name}) exists with ${what}; JetStream cannot change that in place: ` +
        `delete the stream (\`nats stream rm ${name}\`) so it is created anew${options.hint ? `, or ${options.hint}` : ""}`,
    );
  }
  if (changed.length === 0) return info;
  // A standalone server takes such an update without complaint but can hold one copy only.
  if (changed.includes("num_replicas") && (wanted.num_replicas ?? 1) > 1 && info.cluster === undefined) {
    throw new StreamSetupError(
      `${options.label} (stream ${name}) cannot get ${wanted.num_replicas} replicas: the NATS server is not clustered (replicas > 1 need a JetStream cluster)`,
    );
  }
  const update = Object.fromEntries(changed.map((key) => [key, wanted[key]])) as Partial<StreamConfig>;
  try {
    return await jsm.streams.update(name, update);
  } catch (err) {
    const what = changed.map((key) => `${key} ${JSON.stringify(info.config[key])} -> ${JSON.stringify(wanted[key])}`).join(", ");
    throw new StreamSetupError(`updating ${options.label} (stream ${name}: ${what}) failed: ${describe(err)}`, { cause: err });
  }
}

/** Creates `config` when its stream is missing, else reconciles the existing one with it. */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, options: StreamSetupOptions): Promise<StreamInfo> {
  try {
    return await reconcileStream(jsm, config.name, config, options);
  } catch (err) {
    if (!isStreamNotFound(err)) await dropOnConflict(jsm, config.name, err, options);
  }
  try {
    return await jsm.streams.add(config);
  } catch (err) {
    throw new StreamSetupError(`creating ${options.label} (stream ${config.name}, ${config.num_replicas ?? 1} replicas, ${config.storage} storage) failed: ${describe(err)}`, { cause: err });
  }
}

/**
 * Runs `create` (a Kvm/Objm create, which makes the bucket's stream when missing and otherwise
 * opens it as it is), then reconciles the stream with `wanted`, so an existing bucket follows
 * the settings too.
 */
export async function ensureBucket<T>(jsm: JetStreamManager, stream: string, create: () => Promise<T>, wanted: Partial<StreamConfig>, options: StreamSetupOptions): Promise<T> {
  let bucket: T;
  try {
    bucket = await create();
  } catch (err) {
    throw new StreamSetupError(`creating ${options.label} (stream ${stream}) failed: ${describe(err)}`, { cause: err });
  }
  try {
    await reconcileStream(jsm, stream, wanted, options);
  } catch (err) {
    await dropOnConflict(jsm, stream, err, options);
    return ensureBucket(jsm, stream, create, wanted, { ...options, onRecreate: undefined });
  }
  return bucket;
}
