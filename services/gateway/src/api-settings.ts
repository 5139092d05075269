// Settings of the public API's edge: API keys, quotas, idempotency and the OpenAI-compatible
// endpoint (docs/api.md). Spread into gatewaySettings.
import { choiceSetting, floatSetting, intSetting, stringSetting } from "@emuedit/service-kit";

export const AuthMode = { Auto: "auto", Required: "required", Off: "off" } as const;
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode];

export const apiSettings = {
  auth: choiceSetting(
    "EMUEDIT_AUTH",
    AuthMode.Auto as AuthMode,
    Object.values(AuthMode),
    "API keys: auto = required when the HTTP or gRPC bind address is not loopback, required, or off",
  ),
  apiKeyRefreshMs: intSetting(
    "EMUEDIT_API_KEY_REFRESH_MS",
    30_000,
    "full reload period of the API key cache: the bound on how long a revoked key still works when the bucket watch is broken (normally revocation applies within milliseconds)",
    { min: 100, max: 3_600_000 },
  ),
  keyRatePerS: floatSetting("EMUEDIT_KEY_RATE_PER_S", 10, "requests per second an API key may make to the edit routes, across every gateway replica (a key may override it)", { min: 0.001, max: 1e6 }),
  keyBurst: intSetting("EMUEDIT_KEY_BURST", 20, "token bucket size of an API key: requests it may make at once after idling (a key may override it)", { min: 1, max: 1e6 }),
  keyMaxConcurrentEdits: intSetting("EMUEDIT_KEY_MAX_CONCURRENT_EDITS", 8, "edits an API key may have running at once, across every gateway replica (a key may override it)", { min: 1, max: 100000 }),
  idempotencyTtlS: intSetting("EMUEDIT_IDEMPOTENCY_TTL_S", 86_400, "how long an Idempotency-Key and its stored reply are kept", { min: 1, max: 30 * 86_400 }),
  openaiMaxN: intSetting("EMUEDIT_OPENAI_MAX_N", 4, "largest n of POST /v1/images/edits (n edits with seeds seed..seed+n-1)", { min: 1, max: 64 }),
  openaiSizes: stringSetting("EMUEDIT_OPENAI_SIZES", "256x256,512x512,1024x1024", "sizes POST /v1/images/edits accepts (comma-separated WxH); the result is resized to it"),
  imageUrlTtlS: intSetting("EMUEDIT_IMAGE_URL_TTL_S", 3600, "how long an image of response_format=url stays downloadable (NATS object store, any replica answers)", { min: 1, max: 7 * 86_400 }),
  publicUrl: stringSetting("EMUEDIT_PUBLIC_URL", "", "base URL of the gateway as clients reach it, for response_format=url links (empty = from the request's Host header)"),
};
