// Public surface of @emuedit/pipeline: the stages every model service runs, the denoising loop,
// the edit story shared by the gateway and the in-process reference pipeline.
export { runDenoisingLoop } from "./denoising-loop.js";
export type { DenoiseLoopInput, LatentDims, ResumeFrom, StepReport } from "./denoising-loop.js";
export { createDenoiserStage, checkDenoiseParams, DEFAULT_DENOISE_LIMITS } from "./denoiser-stage.js";
export type { DenoiseLimits, DenoiseParams, DenoiserStage } from "./denoiser-stage.js";
export { createTextStage } from "./text-stage.js";
export type { TextEncoding, TextStage } from "./text-stage.js";
export { createVaeStage, fixedImageSize } from "./vae-stage.js";
export type { VaeStage } from "./vae-stage.js";
export { runEdit, createUncondCache } from "./edit-flow.js";
export type { EditBackends, EditInput, EditOutput, UncondCache } from "./edit-flow.js";
export { resolveTask, softmax } from "./task-resolution.js";
export type { ResolvedTask, TaskRef, TaskSource } from "./task-resolution.js";
export { createInProcessPipeline, packageTaskSource } from "./in-process-pipeline.js";
export type { InProcessPipeline, PoolSettings } from "./in-process-pipeline.js";
export { createStepBatcher } from "./step-batcher.js";
export type { BatchingRunner, BatchSettings } from "./step-batcher.js";
export { timestepTensor, runUnet } from "./unet-runner.js";
export type { OnnxRunner } from "./unet-runner.js";
export { PipelineError, UnknownTaskError, InvalidEditError, EditAbortedError, ModelOutputError } from "./errors.js";
