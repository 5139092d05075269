/** Errors of the process helpers (a private nats-server, polling): start-up failures, internal. */
import { EmueditError, Status } from "@emuedit/errors";

/** nats-server is not installed (neither on PATH nor at /usr/sbin/nats-server). */
export class NatsServerNotFoundError extends EmueditError {
  override name = "NatsServerNotFoundError";
  constructor(options?: { cause?: unknown }) {
    super(
      Status.Internal,
      "nats-server not found on PATH or at /usr/sbin/nats-server; install it with " +
        "`apt-get install -y nats-server` (Debian/Ubuntu) or download it from " +
        "https://github.com/nats-io/nats-server/releases, or set NATS_SERVER_BIN",
      options,
    );
  }
}

/** nats-server started but did not accept connections in time, or exited early. */
export class NatsServerStartError extends EmueditError {
  override name = "NatsServerStartError";
  readonly stderr: string;
  constructor(message: string, stderr: string, options?: { cause?: unknown }) {
    super(Status.Internal, `${message}\n--- nats-server output ---\n${stderr.trim() || "(empty)"}`, options);
    this.stderr = stderr;
  }
}

/** waitFor's predicate did not become true within timeoutMs. */
export class WaitTimeoutError extends EmueditError {
  override name = "WaitTimeoutError";
  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(Status.Internal, `timed out after ${timeoutMs} ms waiting for ${what}`, options);
  }
}
