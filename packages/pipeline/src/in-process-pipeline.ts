// All four models in one process, same code path as the services, no gRPC and no NATS. The
// end-to-end tests use it as the reference result and the benchmarks as the baseline.
import type { ModelPackage } from "@emuedit/model-package";
import { createSessionPool, type SessionPool } from "@emuedit/onnx-runtime";
import { createDenoiserStage, DEFAULT_DENOISE_LIMITS, type DenoiseLimits, type DenoiserStage } from "./denoiser-stage.js";
import { createUncondCache, runEdit, type EditBackends, type EditInput, type EditOutput } from "./edit-flow.js";
import { createStepBatcher } from "./step-batcher.js";
import type { TaskSource } from "./task-resolution.js";
import { createTextStage, type TextStage } from "./text-stage.js";
import { createVaeStage, type VaeStage } from "./vae-stage.js";

export interface PoolSettings {
  /** worker_threads per model (each holds one onnxruntime session). */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. */
  readonly intraOpThreads: number;
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

export async function createInProcessPipeline(
  pkg: ModelPackage,
  pools: PoolSettings = { workers: 1, intraOpThreads: 1 },
  limits: DenoiseLimits = DEFAULT_DENOISE_LIMITS,
  batch: { maxRows: number } = { maxRows: 12 },
): Promise<InProcessPipeline> {
  const open = (modelPath: string, name: string) => createSessionPool({ modelPath, name, ...pools });
  const opened: SessionPool[] = [];
  try {
    const [textEncoder, taskClassifier, encoder, decoder, unet] = await Promise.all([
      open(pkg.textEncoder.path, "text_encoder"),
      pkg.taskClassifier ? open(pkg.taskClassifier.path, "task_classifier") : Promise.resolve(null),
      open(pkg.vaeEncoder.path, "vae_encoder"),
      open(pkg.vaeDecoder.path, "vae_decoder"),
      open(pkg.unet.path, "unet"),
    ]);
    opened.push(textEncoder, encoder, decoder, unet, ...(taskClassifier ? [taskClassifier] : []));

    const text = createTextStage(pkg, { textEncoder, taskClassifier });
    const vae = createVaeStage(pkg, { encoder, decoder });
    // Same batching of concurrent edits as the unet service, so benchmarks compare like with like.
    const unetRunner = pkg.unet.timestepShape === "batch" ? createStepBatcher(unet, { maxRows: batch.maxRows, maxInFlight: pools.workers }) : unet;
    const denoiser = createDenoiserStage(pkg, unetRunner, limits);
    const backends: EditBackends = {
      encodeText: (texts, signal) => text.encode(texts, signal),
      encodeImage: (images, signal) => vae.encode(images, signal),
      denoise: (_editId, params, signal) => denoiser.denoise(params, { signal }),
      decode: (latents, source, signal) => vae.decode(latents, source, signal),
    };
    const tasks = packageTaskSource(pkg);
    const uncond = createUncondCache(backends.encodeText);

    return {
      pkg,
      text,
      vae,
      denoiser,
      backends,
      tasks,
      edit: (input, signal = new AbortController().signal) => runEdit({ backends, tasks, uncond }, input, signal),
      close: async () => {
        await Promise.all(opened.map((p) => p.close()));
      },
    };
  } catch (err) {
    await Promise.allSettled(opened.map((p) => p.close()));
    throw err;
  }
}
