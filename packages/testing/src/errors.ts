/** Errors raised by the shared test harness. */

/** nats-server is not installed (neither on PATH nor at /usr/sbin/nats-server). */
export class NatsServerNotFoundError extends Error {
  override name = "NatsServerNotFoundError";
  constructor(options?: { cause?: unknown }) {
    super(
      "nats-server not found on PATH or at /usr/sbin/nats-server; install it with " +
        "`apt-get install -y nats-server` (Debian/Ubuntu) or download it from " +
        "https://github.com/nats-io/nats-server/releases, or set NATS_SERVER_BIN",
      options,
    );
  }
}

/** nats-server started but did not accept connections in time, or exited early. */
export class NatsServerStartError extends Error {
  override name = "NatsServerStartError";
  readonly stderr: string;
  constructor(message: string, stderr: string, options?: { cause?: unknown }) {
    super(`${message}\n--- nats-server output ---\n${stderr.trim() || "(empty)"}`, options);
    this.stderr = stderr;
  }
}

/** waitFor's predicate did not become true within timeoutMs. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`, options);
  }
}
