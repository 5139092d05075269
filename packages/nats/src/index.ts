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
  SessionNotFoundError,
  SessionRecordFormatError,
  TaskEntryFormatError,
} from "./errors.js";
export { connectNats, natsReady, trackConnection } from "./connection.js";
export type { ConnectNatsOptions, ConnectionState } from "./connection.js";
export {
  DEFAULT_LATENT_MAX_AGE_MS,
  ensureLatentStream,
  LATENT_OBJECT_BUCKET,
  LATENT_STREAM,
  LATENT_SUBJECT_PREFIX,
  latentStreamConfig,
  latentSubject,
  validateEditId,
} from "./latent-stream.js";
export type { LatentStreamOptions } from "./latent-stream.js";
export { decodeLatent, encodeLatent, LatentHeader } from "./latent-codec.js";
export type { LatentCheckpoint, LatentPublishInput } from "./latent-codec.js";
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
export { openKvBucket, openObjectBucket } from "./buckets.js";
export type { BucketOptions } from "./buckets.js";
export { ACTIVE_JOB_BUCKET, isTerminal, JOB_BUCKET, JOB_OBJECT_BUCKET, JobState, openJobStore } from "./job-store.js";
export type { JobCallback, JobError, JobRecord, JobResult, JobStore, JobStoreOptions, StoredJob } from "./job-store.js";
export { openSessionStore, SESSION_BUCKET, SESSION_OBJECT_BUCKET, TurnState, validateSessionId } from "./session-store.js";
export type { SessionRecord, SessionStore, SessionStoreOptions, SessionTurn, StoredSession, TurnImage } from "./session-store.js";
