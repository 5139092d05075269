// One line per event on stderr: `<time> <level> <name>: message key=value ...`. The start script
// prefixes each service's lines, so plain text reads best; structured fields stay greppable.

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** Lines below this level are dropped (EMUEDIT_LOG_LEVEL). Default info. */
  readonly level?: LogLevel;
  readonly sink?: (line: string) => void;
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? ((l: string) => process.stderr.write(`${l}\n`));
  const min = LOG_LEVELS.indexOf(options.level ?? "info");
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const kv = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${typeof v === "string" && (v === "" || /[\s"=]/.test(v)) ? JSON.stringify(v) : String(v)}`)
          .join(" ")
      : "";
    sink(`${new Date().toISOString()} ${level} ${name}: ${msg}${kv ? ` ${kv}` : ""}`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
