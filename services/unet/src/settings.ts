import { intSetting, modelServiceSettings, samplingLimitSettings, stringSetting } from "@emuedit/service-kit";

export const unetSettings = {
  ...modelServiceSettings("EMUEDIT_UNET", 50063),
  ...samplingLimitSettings(),
  natsUrl: stringSetting("NATS_URL", "nats://127.0.0.1:4222", "NATS server with JetStream (latent previews and checkpoints)"),
  maxBatchRows: intSetting("EMUEDIT_UNET_MAX_BATCH_ROWS", 12, "rows per UNet call when concurrent edits are batched (3 per edit; 3 = no batching)", { min: 3, max: 3000 }),
  publishTimeoutMs: intSetting("EMUEDIT_LATENT_PUBLISH_TIMEOUT_MS", 1000, "how long one latent publish may wait for JetStream's ack before this edit stops publishing", { min: 10, max: 60000 }),
  latentMaxAgeMs: intSetting("EMUEDIT_LATENT_MAX_AGE_MS", 600000, "how long a latent checkpoint stays resumable in JetStream", { min: 1000, max: 86400000 }),
};
