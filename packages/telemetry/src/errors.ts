/** Errors raised by @emuedit/telemetry. */

/** startTelemetry failed (bad option, Prometheus port in use...); nothing stays registered. */
export class TelemetryStartError extends Error {
  override name = "TelemetryStartError";
}

/** startTelemetry was called while another Telemetry of this process is still running. */
export class TelemetryAlreadyStartedError extends Error {
  override name = "TelemetryAlreadyStartedError";
  constructor(serviceName: string) {
    super(`telemetry is already started for ${serviceName}; call shutdown() first`);
  }
}
