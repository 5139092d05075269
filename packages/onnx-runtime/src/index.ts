// Public surface of @emuedit/onnx-runtime: onnxruntime sessions in worker threads behind a
// bounded queue, so inference never blocks the caller's event loop.
export { createSessionPool, DEFAULT_MAX_QUEUE } from "./session-pool.js";
export { liveSessionWorkers } from "./session-worker-handle.js";
export type { SessionPool, SessionPoolOptions, RunObserver, RunOptions } from "./session-pool.js";
export type { IoMetadata, PoolSessionOptions } from "./protocol.js";
export { toOrtTensor, fromOrtTensor } from "./ort-tensor.js";
export {
  SessionError,
  SessionLoadError,
  ExecutionProviderError,
  SessionRunError,
  SessionWorkerError,
  SessionQueueFullError,
  SessionClosedError,
} from "./errors.js";
