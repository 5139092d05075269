/** Errors raised by @emuedit/nats. One class per failure kind; `cause` carries the NATS error. */

/** An edit id that cannot name a NATS subject token: must match [A-Za-z0-9_-]{1,64}. */
export class InvalidEditIdError extends Error {
  override name = "InvalidEditIdError";
  constructor(editId: string, options?: { cause?: unknown }) {
    super(`invalid edit id ${JSON.stringify(editId)}: expected 1-64 characters of [A-Za-z0-9_-]`, options);
  }
}

/** A task name that cannot be a KV key: must match [a-z0-9_-]+. */
export class InvalidTaskNameError extends Error {
  override name = "InvalidTaskNameError";
  constructor(name: string, options?: { cause?: unknown }) {
    super(`invalid task name ${JSON.stringify(name)}: expected one or more of [a-z0-9_-]`, options);
  }
}

/** A latent to publish is inconsistent (step range, state tensor sizes, seed...). */
export class LatentPublishArgumentError extends Error {
  override name = "LatentPublishArgumentError";
}

/** JetStream or the object store refused a latent publish (stream missing, timeout...). */
export class LatentPublishError extends Error {
  override name = "LatentPublishError";
}

/** A latent message whose headers or payload do not follow the documented layout. */
export class CheckpointFormatError extends Error {
  override name = "CheckpointFormatError";
}

/** A reference message names an object that is no longer in the object store. */
export class LatentObjectMissingError extends Error {
  override name = "LatentObjectMissingError";
}

/** A task registry value that is not a valid TaskEntry JSON document. */
export class TaskEntryFormatError extends Error {
  override name = "TaskEntryFormatError";
}
