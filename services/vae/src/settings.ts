import { intSetting, modelServiceSettings } from "@emuedit/service-kit";

export const vaeSettings = {
  ...modelServiceSettings("EMUEDIT_VAE", 50062),
  maxBatch: intSetting("EMUEDIT_VAE_MAX_BATCH", 8, "images or latents per Encode/Decode call", { min: 1, max: 1024 }),
  maxSidePx: intSetting("EMUEDIT_VAE_MAX_SIDE_PX", 1024, "largest image side accepted by Encode (and produced by Decode)", { min: 8, max: 16384 }),
};
export type VaeLimits = { maxBatch: number; maxSidePx: number };
