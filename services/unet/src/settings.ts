import { intSetting, floatSetting, modelServiceSettings, stringSetting } from "@emuedit/service-kit";

export const unetSettings = {
  ...modelServiceSettings("EMUEDIT_UNET", 50063),
  natsUrl: stringSetting("NATS_URL", "nats://127.0.0.1:4222", "NATS server with JetStream (latent previews and checkpoints)"),
  maxSteps: intSetting("EMUEDIT_MAX_STEPS", 150, "largest steps value a Denoise call may ask for", { min: 1, max: 10000 }),
  maxGuidanceScale: floatSetting("EMUEDIT_MAX_GUIDANCE_SCALE", 30, "largest guidance_scale / image_guidance_scale", { min: 0, max: 1000 }),
  maxBatchRows: intSetting("EMUEDIT_UNET_MAX_BATCH_ROWS", 12, "rows per UNet call when concurrent edits are batched (3 per edit; 3 = no batching)", { min: 3, max: 3000 }),
  publishTimeoutMs: intSetting("EMUEDIT_LATENT_PUBLISH_TIMEOUT_MS", 1000, "how long one latent publish may wait for JetStream's ack before this edit stops publishing", { min: 10, max: 60000 }),
  latentMaxAgeMs: intSetting("EMUEDIT_LATENT_MAX_AGE_MS", 600000, "how long a latent checkpoint stays resumable in JetStream", { min: 1000, max: 86400000 }),
};
