import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { NatsServerNotFoundError } from "./errors.js";

const FALLBACK_PATHS = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server"];

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Locates the nats-server binary: $NATS_SERVER_BIN, then $PATH, then the Debian location.
 * Throws NatsServerNotFoundError (with install instructions) when none is executable.
 */
export async function findNatsServer(): Promise<string> {
  const fromEnv = process.env["NATS_SERVER_BIN"];
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return fromEnv;
    throw new NatsServerNotFoundError({ cause: new Error(`NATS_SERVER_BIN=${fromEnv} is not executable`) });
  }
  const dirs = (process.env["PATH"] ?? "").split(delimiter).filter((d) => d.length > 0);
  for (const candidate of [...dirs.map((d) => join(d, "nats-server")), ...FALLBACK_PATHS]) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError();
}
