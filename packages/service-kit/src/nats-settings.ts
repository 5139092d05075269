// The NATS connection settings of every service that connects (gateway, unet; a jobs worker).
// Services reconnect forever (no attempts setting): one that gave NATS up would stay up but
// useless, and nats.js 3.3.1 mishandles a bounded count with a server list on the first connect.
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
  } satisfies Record<string, SettingSpec<unknown>>;
}
