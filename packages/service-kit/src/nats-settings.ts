// The NATS connection settings of every service that connects (gateway, unet; a jobs worker).
import { intSetting, stringSetting, type SettingSpec } from "./settings.js";

/** `purpose` says what the service uses NATS for, in the settings table. */
export function natsConnectionSettings(purpose: string) {
  return {
    natsUrl: stringSetting(
      "NATS_URL",
      "nats://127.0.0.1:4222",
      `NATS server with JetStream (${purpose}); a comma-separated list names a cluster's servers (the client picks one, reconnects to the others)`,
    ),
    natsReconnectWaitMs: intSetting(
      "EMUEDIT_NATS_RECONNECT_WAIT_MS",
      1000,
      "wait before a server that was just tried is tried again (another server of the list is tried at once)",
      { min: 10, max: 600000 },
    ),
    natsMaxReconnectAttempts: intSetting(
      "EMUEDIT_NATS_MAX_RECONNECT_ATTEMPTS",
      -1,
      "reconnect attempts per server before the process gives NATS up for good (-1 = forever: services outlive NATS restarts)",
      { min: -1, max: 1000000 },
    ),
  } satisfies Record<string, SettingSpec<unknown>>;
}
