// Public surface of @emuedit/cli (the `emuedit` binary's logic, importable for tests and tools).

export { main, ExitCode } from "./cli.js";
export {
  parseCommand,
  DEFAULT_SERVER,
  DEFAULT_EDIT_TIMEOUT_MS,
  DEFAULT_TASKS_TIMEOUT_MS,
  SERVER_ENV,
  OutputFormat,
} from "./args.js";
export type { Command, EditCommand, TasksCommand, RegisterTaskCommand, HelpCommand, HelpTopic, Env } from "./args.js";
export type { KeysCommand } from "./keys-args.js";
export { UsageError, InputFileError, OutputFileError, StreamProtocolError } from "./errors.js";
export { ProgressReporter } from "./progress.js";
export type { ProgressUpdate, TextOutput } from "./progress.js";
export type { Io } from "./edit.js";
export { usage } from "./usage.js";
