import { UsageError } from "./errors.js";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

export type Env = Readonly<Record<string, string | undefined>>;

/** --nats, else $NATS_URL, else the default; checked to be a NATS URL. */
export function natsUrl(value: string | undefined, env: Env): string {
  const nats = (value ?? env.NATS_URL ?? DEFAULT_NATS_URL).trim();
  if (!/^(nats|tls):\/\/\S+$|^\S+:\d{1,5}$/.test(nats)) throw new UsageError(`--nats must be a NATS URL, got "${nats}"`);
  return nats;
}
