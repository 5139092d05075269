// Messages between a SessionPool (main thread) and its session workers. Everything here must be
// structured-cloneable; tensors travel as HostTensors whose ArrayBuffers are transferred.
import type { HostTensor } from "@emuedit/tensors";

/** Graph input/output as onnxruntime reports it: dims are numbers or symbolic names. */
export interface IoMetadata {
  readonly name: string;
  /** onnxruntime's type name: "float32", "int64", ... */
  readonly dtype: string;
  readonly dims: readonly (number | string)[];
}

/** The subset of onnxruntime SessionOptions a pool passes through (all cloneable). */
export interface PoolSessionOptions {
  readonly graphOptimizationLevel?: "disabled" | "basic" | "extended" | "layout" | "all";
  readonly executionMode?: "sequential" | "parallel";
  readonly interOpNumThreads?: number;
  readonly enableCpuMemArena?: boolean;
  readonly enableMemPattern?: boolean;
  /** Provider names only, e.g. ["cuda", "cpu"]. */
  readonly executionProviders?: readonly string[];
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface WorkerInit {
  readonly modelPath: string;
  readonly name: string;
  readonly intraOpThreads: number;
  readonly sessionOptions: PoolSessionOptions;
  /** Size for each symbolic dim name in the warm-up feeds; unnamed/unlisted ones get 1. */
  readonly warmupDims: Readonly<Record<string, number>>;
}

export type ToWorker =
  | { readonly type: "run"; readonly id: number; readonly feeds: Record<string, HostTensor>; readonly outputNames: string[] | null }
  | { readonly type: "close" }
  /** Test hook: the worker dies of an uncaught exception when its next run starts. */
  | { readonly type: "crash-on-next-run" };

export type FromWorker =
  | {
      readonly type: "ready";
      readonly inputMetadata: IoMetadata[];
      readonly outputMetadata: IoMetadata[];
      readonly loadMs: number;
      readonly warmupMs: number;
    }
  | { readonly type: "load-error"; readonly message: string }
  | { readonly type: "result"; readonly id: number; readonly outputs: Record<string, HostTensor>; readonly runMs: number }
  | { readonly type: "run-error"; readonly id: number; readonly message: string }
  | { readonly type: "closed" };
