import { DEFAULT_LATENT_STORAGE, STORAGE_KINDS } from "@emuedit/nats";
import { choiceSetting, intSetting, modelServiceSettings, natsConnectionSettings, samplingLimitSettings } from "@emuedit/service-kit";

export const unetSettings = {
  ...modelServiceSettings("EMUEDIT_UNET", 50063),
  ...samplingLimitSettings(),
  ...natsConnectionSettings("latent previews and checkpoints"),
  maxBatchRows: intSetting("EMUEDIT_UNET_MAX_BATCH_ROWS", 12, "rows per UNet call when concurrent edits are batched (3 per edit; 3 = no batching)", { min: 3, max: 3000 }),
  publishTimeoutMs: intSetting("EMUEDIT_LATENT_PUBLISH_TIMEOUT_MS", 1000, "how long one latent publish may wait for JetStream's ack before this edit stops publishing", { min: 10, max: 60000 }),
  latentMaxAgeMs: intSetting(
    "EMUEDIT_LATENT_MAX_AGE_MS",
    600000,
    "how long the checkpoint of an edit that did not finish (its caller went away) stays resumable in JetStream; a finished edit's is purged at once",
    { min: 1000, max: 86400000 },
  ),
  latentReplicas: intSetting(
    "EMUEDIT_LATENT_REPLICAS",
    1,
    "copies of the latent stream (and its object bucket) in the NATS cluster: 1 on a single server, 3 in a 3-node cluster (docs/nats.md)",
    { min: 1, max: 5 },
  ),
  latentStorage: choiceSetting(
    "EMUEDIT_LATENT_STORAGE",
    DEFAULT_LATENT_STORAGE,
    STORAGE_KINDS,
    "storage of the latent stream and its object bucket; latents live seconds, so memory (docs/nats.md)",
  ),
  latentMaxBytes: intSetting(
    "EMUEDIT_LATENT_MAX_BYTES",
    1024 ** 3,
    "cap on the latent stream's bytes per replica (past it the oldest latents go; 0 = none); reserved on each replica's server",
    { min: 0, max: Number.MAX_SAFE_INTEGER },
  ),
};
