export {
  NatsAdapterError,
  CheckpointFormatError,
  InvalidEditIdError,
  InvalidSessionIdError,
  InvalidTaskNameError,
  JobNotFoundError,
  JobRecordFormatError,
  LatentObjectMissingError,
  LatentPublishArgumentError,
  LatentPublishError,
  StreamConfigConflictError,
  StreamSetupError,
  SessionNotFoundError,
  SessionRecordFormatError,
  TaskEntryFormatError,
} from "./errors.js";
export { connectNats, natsReady, natsServers, trackConnection } from "./connection.js";
export type { ConnectNatsOptions, ConnectionState } from "./connection.js";
export { ensureStream, reconcileStream, STORAGE_KINDS, storageType } from "./stream-setup.js";
export type { StorageKind, StreamSetupOptions } from "./stream-setup.js";
export { kvStreamName, objectStreamName, openKvBucket, openObjectBucket } from "./kv-bucket.js";
export type { BucketOptions } from "./kv-bucket.js";
export {
  DEFAULT_LATENT_MAX_AGE_MS,
  DEFAULT_LATENT_STORAGE,
  ensureLatentStream,
  LATENT_OBJECT_BUCKET,
  LATENT_STREAM,
  LATENT_SUBJECT_PREFIX,
  latentStreamConfig,
  latentSubject,
  maintainLatentStream,
  validateEditId,
} from "./latent-stream.js";
export type { LatentStreamOptions } from "./latent-stream.js";
export { decodeLatent, encodeLatent, LatentHeader } from "./latent-codec.js";
export type { LatentCheckpoint, LatentPublishInput } from "./latent-codec.js";
export { openLatentObjects } from "./latent-objects.js";
export type { LatentObjectsOptions } from "./latent-objects.js";
export { createLatentPublisher } from "./latent-publisher.js";
export type { LatentPublisher, LatentPublisherOptions, LatentPublishResult } from "./latent-publisher.js";
export { readCheckpoint, watchLatents } from "./latent-reader.js";
export type { LatentWatch, WatchLatentsOptions } from "./latent-reader.js";
export { decodeTaskEntry, encodeTaskEntry, validateTaskName } from "./task-entry.js";
export type { TaskEntry } from "./task-entry.js";
export { openTaskRegistry, PACKAGE_ORIGIN, TASK_BUCKET } from "./task-registry.js";
export type { TaskChange, TaskListOptions, TaskRegistry, TaskRegistryOptions, TaskWatchOptions } from "./task-registry.js";
export { createTaskCache } from "./task-cache.js";
export type { TaskCache, TaskCacheOptions } from "./task-cache.js";
export { ACTIVE_JOB_BUCKET, isTerminal, JOB_BUCKET, JOB_OBJECT_BUCKET, JobState, openJobStore } from "./job-store.js";
export type { JobCallback, JobError, JobRecord, JobResult, JobStore, JobStoreOptions, StoredJob } from "./job-store.js";
export { isWrongLastSequence } from "./kv-bucket.js";
export {
  API_KEY_BUCKET,
  API_KEY_SCOPES,
  ApiKeyScope,
  apiKeyId,
  apiKeyMatches,
  decodeApiKeyRecord,
  openApiKeyStore,
  sha256Hex,
  validateApiKeyId,
} from "./api-keys.js";
export type { ApiKeyLimits, ApiKeyRecord, ApiKeyStore } from "./api-keys.js";
export { createApiKeyCache } from "./api-key-cache.js";
export type { ApiKeyCache, ApiKeyCacheOptions } from "./api-key-cache.js";
export type { KV } from "@nats-io/kv";
export type { ObjectStore } from "@nats-io/obj";
export { openSessionStore, SESSION_BUCKET, SESSION_OBJECT_BUCKET, TurnState, validateSessionId } from "./session-store.js";
export type { SessionRecord, SessionStore, SessionStoreOptions, SessionTurn, StoredSession, TurnImage } from "./session-store.js";
