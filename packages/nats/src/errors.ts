/** Errors raised by @emuedit/nats. One class per failure kind; `cause` carries the NATS error. */
import { EmueditError, Status } from "@emuedit/errors";

/** Base of this package's errors: internal unless a request named the thing at fault. */
export class NatsAdapterError extends EmueditError {
  override name = "NatsAdapterError";
  constructor(message: string, options?: { cause?: unknown }, status: Status = Status.Internal) {
    super(status, message, options);
  }
}

/** An edit id that cannot name a NATS subject token: must match [A-Za-z0-9_-]{1,64}. */
export class InvalidEditIdError extends NatsAdapterError {
  override name = "InvalidEditIdError";
  constructor(editId: string, options?: { cause?: unknown }) {
    super(`invalid edit id ${JSON.stringify(editId)}: expected 1-64 characters of [A-Za-z0-9_-]`, options, Status.InvalidArgument);
  }
}

/** A task name that cannot be a KV key: must match [a-z0-9_-]+. */
export class InvalidTaskNameError extends NatsAdapterError {
  override name = "InvalidTaskNameError";
  constructor(name: string, options?: { cause?: unknown }) {
    super(`invalid task name ${JSON.stringify(name)}: expected one or more of [a-z0-9_-]`, options, Status.InvalidArgument);
  }
}

/** A latent to publish is inconsistent (step range, state tensor sizes, seed...). */
export class LatentPublishArgumentError extends NatsAdapterError {
  override name = "LatentPublishArgumentError";
}

/** JetStream or the object store refused a latent publish (stream missing, timeout...). */
export class LatentPublishError extends NatsAdapterError {
  override name = "LatentPublishError";
}

/** A latent message whose headers or payload do not follow the documented layout. */
export class CheckpointFormatError extends NatsAdapterError {
  override name = "CheckpointFormatError";
}

/** A reference message names an object that is no longer in the object store. */
export class LatentObjectMissingError extends NatsAdapterError {
  override name = "LatentObjectMissingError";
}

/** A task registry value that is not a valid TaskEntry JSON document. */
export class TaskEntryFormatError extends NatsAdapterError {
  override name = "TaskEntryFormatError";
}

/** A job id with no record (never created, or older than the jobs' retention). */
export class JobNotFoundError extends NatsAdapterError {
  override name = "JobNotFoundError";
  constructor(id: string, options?: { cause?: unknown }) {
    super(`no edit job ${JSON.stringify(id)} (unknown, or past its retention)`, options, Status.NotFound);
  }
}

/** A job record value that is not the documented JSON. */
export class JobRecordFormatError extends NatsAdapterError {
  override name = "JobRecordFormatError";
}

/**
 * A stream or bucket exists with a setting JetStream cannot change in place (storage type,
 * retention): the message names both values and what to do.
 */
export class StreamConfigConflictError extends NatsAdapterError {
  override name = "StreamConfigConflictError";
}

/** The server refused to create or update a stream or bucket (e.g. 3 replicas on a single server). */
export class StreamSetupError extends NatsAdapterError {
  override name = "StreamSetupError";
}

/** A session id that cannot be a KV key and object name: must match [A-Za-z0-9_-]{1,64}. */
export class InvalidSessionIdError extends NatsAdapterError {
  override name = "InvalidSessionIdError";
  constructor(id: string, options?: { cause?: unknown }) {
    super(`invalid session id ${JSON.stringify(id)}: expected 1-64 characters of [A-Za-z0-9_-]`, options, Status.InvalidArgument);
  }
}

/** A session id with no record (never created, deleted, or past the sessions' retention). */
export class SessionNotFoundError extends NatsAdapterError {
  override name = "SessionNotFoundError";
  constructor(id: string, options?: { cause?: unknown }) {
    super(`no session ${JSON.stringify(id)} (unknown, deleted, or past its retention)`, options, Status.NotFound);
  }
}

/** A session record value that is not the documented JSON. */
export class SessionRecordFormatError extends NatsAdapterError {
  override name = "SessionRecordFormatError";
}
