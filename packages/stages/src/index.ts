// Public surface of @emuedit/stages: the model stages each model service runs (text, vae,
// denoiser), the denoising loop, the UNet step batcher, and the in-process pipeline that runs
// the edit contract's story over local sessions. Only the model services, tests and benchmarks
// depend on this (it brings onnxruntime); the gateway depends on @emuedit/edit-contract alone.
export { runDenoisingLoop } from "./denoising-loop.js";
export type { DenoiseLoopInput, LatentDims, ResumeFrom, StepReport } from "./denoising-loop.js";
export { createDenoiserStage } from "./denoiser-stage.js";
export type { DenoiseHooks, DenoiserStage } from "./denoiser-stage.js";
export { createTextStage } from "./text-stage.js";
export type { TextStage } from "./text-stage.js";
export { createVaeStage } from "./vae-stage.js";
export type { VaeStage } from "./vae-stage.js";
export { createInProcessPipeline, packageTaskSource } from "./in-process-pipeline.js";
export type { InProcessOptions, InProcessPipeline } from "./in-process-pipeline.js";
export { openComponent, warmupDims } from "./sessions.js";
export type { PoolSettings } from "./sessions.js";
export { createStepBatcher } from "./step-batcher.js";
export type { BatchingRunner, BatchSettings } from "./step-batcher.js";
export type { OnnxRunner, OnnxRunOptions } from "./unet-runner.js";
