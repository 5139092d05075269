/** Errors raised by @emuedit/telemetry (start-up failures: internal). */
import { EmueditError, Status } from "@emuedit/errors";

/** startTelemetry failed (bad option, Prometheus port in use...); nothing stays registered. */
export class TelemetryStartError extends EmueditError {
  override name = "TelemetryStartError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(Status.Internal, message, options);
  }
}

/** startTelemetry was called while another Telemetry of this process is still running. */
export class TelemetryAlreadyStartedError extends EmueditError {
  override name = "TelemetryAlreadyStartedError";
  constructor(serviceName: string) {
    super(Status.Internal, `telemetry is already started for ${serviceName}; call shutdown() first`);
  }
}
