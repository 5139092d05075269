// A session pool for one component of a model package, warmed up at the package's working size.
// Warm-up feeds give each symbolic dim a size by name; left at 1, a dynamic-size export's
// spatial dims would be 1x1, which the down-sampling in most UNets and VAEs cannot run.
import type { ModelPackage, OnnxComponent } from "@emuedit/model-package";
import { createSessionPool, type RunObserver, type SessionPool } from "@emuedit/onnx-runtime";

export interface PoolSettings {
  /** worker_threads per model (each holds one onnxruntime session); 0: the session runs on the calling thread. */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. */
  readonly intraOpThreads: number;
  /** Calls waiting for a worker before RESOURCE_EXHAUSTED (the pool's default when absent). */
  readonly maxQueue?: number;
  /** Told each request's queue wait and each call's run time (the model service's metrics). */
  readonly observer?: RunObserver;
  /** onnxruntime execution provider; default cpu. */
  readonly executionProvider?: "cpu" | "cuda";
}

/**
 * The provider list a session is created with. CUDA keeps CPU after it: onnxruntime places the
 * few operators CUDA lacks on the CPU instead of refusing the graph. A missing CUDA provider
 * still fails the session's creation (onnxruntime-node cannot load it), so cuda never silently
 * runs on the CPU.
 */
function executionProviders(provider: PoolSettings["executionProvider"]): string[] {
  return provider === "cuda" ? ["cuda", "cpu"] : ["cpu"];
}

/** Inputs whose axes 2 and 3 are pixels or latent cells (docs/model-package.md). */
const SPATIAL_INPUTS: Readonly<Record<string, "pixels" | "latents">> = {
  "vae_encoder/sample": "pixels",
  "vae_decoder/source_sample": "pixels",
  "vae_decoder/latent_sample": "latents",
  "unet/sample": "latents",
};

/** Sizes of a component's symbolic spatial dims at the package's resolution, by dim name. */
export function warmupDims(pkg: ModelPackage, component: OnnxComponent, name: string): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const input of component.inputs) {
    const kind = SPATIAL_INPUTS[`${name}/${input.name}`];
    if (!kind || !input.dims) continue;
    const side = kind === "pixels" ? pkg.resolution : Math.round(pkg.resolution / pkg.vaeScaleFactor);
    for (const axis of [2, 3]) {
      const d = input.dims[axis];
      if (typeof d === "string" && d !== "") dims[d] = side;
    }
  }
  return dims;
}

/** Opens `component` (named as its folder: "unet", "vae_encoder", ...) in a pool of worker threads. */
export function openComponent(pkg: ModelPackage, component: OnnxComponent, name: string, pool: PoolSettings): Promise<SessionPool> {
  const { executionProvider, ...sizes } = pool;
  return createSessionPool({
    modelPath: component.path,
    name,
    ...sizes,
    sessionOptions: { executionProviders: executionProviders(executionProvider) },
    warmupDims: warmupDims(pkg, component, name),
  });
}
