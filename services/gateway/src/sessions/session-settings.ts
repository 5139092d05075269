// Settings of editing sessions (docs/api.md, "Sessions"; docs/operations.md).
import { intSetting } from "@emuedit/service-kit";

export const sessionSettings = {
  sessionRetentionMs: intSetting(
    "EMUEDIT_SESSION_RETENTION_MS",
    7 * 86_400_000,
    "how long a session (its record and every turn's image) is kept after its creation; then GET answers 404",
    { min: 60_000, max: 365 * 86_400_000 },
  ),
  maxSessionTurns: intSetting("EMUEDIT_MAX_SESSION_TURNS", 100, "turns one session may hold, the uploaded image and failed turns included; then a new turn gets 409 session_full", {
    min: 2,
    max: 10_000,
  }),
  maxSessions: intSetting("EMUEDIT_MAX_SESSIONS", 10_000, "sessions kept in JetStream at once (deleted and expired ones count until the retention drops them); then a new one gets 503", {
    min: 1,
    max: 10_000_000,
  }),
};
