// All four models in one process, same code path as the services, no gRPC and no NATS. The
// end-to-end tests use it as the reference result and the benchmarks as the baseline.
import { createUncondCache, runEdit, type EditBackends, type EditInput, type EditOutput, type TaskSource } from "@emuedit/edit-contract";
import type { ModelPackage } from "@emuedit/model-package";
import type { SessionPool } from "@emuedit/onnx-runtime";
import { createDenoiserStage, type DenoiserStage } from "./denoiser-stage.js";
import { openComponent, type PoolSettings } from "./sessions.js";
import { createStepBatcher } from "./step-batcher.js";
import { createTextStage, type TextStage } from "./text-stage.js";
import { createVaeStage, type VaeStage } from "./vae-stage.js";

export interface InProcessOptions {
  readonly pools?: PoolSettings;
  /** Most UNet rows per batched call (3 per edit), as the unet service's EMUEDIT_UNET_MAX_BATCH_ROWS. */
  readonly maxBatchRows?: number;
  /** As the gateway's EMUEDIT_MIN_TASK_CONFIDENCE; 0 (the default here) accepts any prediction. */
  readonly minTaskConfidence?: number;
}

export interface InProcessPipeline {
  readonly pkg: ModelPackage;
  readonly text: TextStage;
  readonly vae: VaeStage;
  readonly denoiser: DenoiserStage;
  readonly backends: EditBackends;
  readonly tasks: TaskSource;
  edit(input: EditInput, signal?: AbortSignal): Promise<EditOutput>;
  close(): Promise<void>;
}

/** A TaskSource over the package's own task table. */
export function packageTaskSource(pkg: ModelPackage): TaskSource {
  const byName = new Map(pkg.tasks.map((t) => [t.name, t]));
  return { get: (name) => byName.get(name), list: () => pkg.tasks };
}

export async function createInProcessPipeline(pkg: ModelPackage, options: InProcessOptions = {}): Promise<InProcessPipeline> {
  const pools = options.pools ?? { workers: 1, intraOpThreads: 1 };
  const open = (component: Parameters<typeof openComponent>[1], name: string) => openComponent(pkg, component, name, pools);
  // Every pool that opened is closed when another fails: their worker threads would otherwise
  // keep the process alive (and hold a model's memory each).
  const results = await Promise.allSettled([
    open(pkg.textEncoder, "text_encoder"),
    pkg.taskClassifier ? open(pkg.taskClassifier, "task_classifier") : Promise.resolve(null),
    open(pkg.vaeEncoder, "vae_encoder"),
    open(pkg.vaeDecoder, "vae_decoder"),
    open(pkg.unet, "unet"),
  ]);
  const opened = results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(opened.map((p) => p.close()));
    throw failed.reason;
  }
  const [textEncoder, taskClassifier, encoder, decoder, unet] = results.map((r) => (r as PromiseFulfilledResult<SessionPool | null>).value) as [
    SessionPool,
    SessionPool | null,
    SessionPool,
    SessionPool,
    SessionPool,
  ];

  const text = createTextStage(pkg, { textEncoder, taskClassifier });
  const vae = createVaeStage(pkg, { encoder, decoder });
  // Same batching of concurrent edits as the unet service, so benchmarks compare like with like.
  const maxRows = options.maxBatchRows ?? 12;
  const unetRunner = pkg.unet.timestepShape === "batch" ? createStepBatcher(unet, { maxRows, maxInFlight: Math.max(1, pools.workers) }) : unet;
  const denoiser = createDenoiserStage(pkg, unetRunner);
  const backends: EditBackends = {
    encodeText: (texts, signal) => text.encode(texts, signal),
    encodeImage: (images, signal) => vae.encode(images, signal),
    denoise: (_editId, params, signal) => denoiser.denoise(params, { signal }),
    decode: (latents, source, signal) => vae.decode(latents, source, signal),
  };
  const tasks = packageTaskSource(pkg);
  const uncond = createUncondCache(backends.encodeText);
  const ctx = { backends, tasks, uncond, minTaskConfidence: options.minTaskConfidence ?? 0 };

  return {
    pkg,
    text,
    vae,
    denoiser,
    backends,
    tasks,
    edit: (input, signal = new AbortController().signal) => runEdit(ctx, input, signal),
    close: async () => {
      await Promise.all(opened.map((p) => p.close()));
    },
  };
}
