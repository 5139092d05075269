// One class per failure kind. The exit code a failure maps to lives in cli.ts.

/** Bad command line: unknown command or option, missing or malformed value (exit 2). */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The input image cannot be read (missing, a directory, no permission): a usage error (exit 2). */
export class InputFileError extends Error {
  override name = "InputFileError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The result cannot be written (exit 1). */
export class OutputFileError extends Error {
  override name = "OutputFileError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server broke the EditStream contract, e.g. ended without a result (exit 1). */
export class StreamProtocolError extends Error {
  override name = "StreamProtocolError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
