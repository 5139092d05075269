// One line per event on stderr: `level name: message key=value ...`. The start script prefixes
// each service's lines, so plain text reads best; structured fields stay greppable.

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function createLogger(name: string, sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit = (level: string, msg: string, fields?: LogFields) => {
    const kv = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
          .join(" ")
      : "";
    sink(`${new Date().toISOString()} ${level} ${name}: ${msg}${kv ? ` ${kv}` : ""}`);
  };
  return {
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
