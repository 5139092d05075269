// Public surface of @emuedit/edit-contract: the typed edit spec with its limits and its one
// parser, the backends an edit runs on, the edit story (runEdit), task resolution, and the
// edit's errors. Free of model runtimes: the gateway depends on this, never on @emuedit/stages.
export {
  parseEditSpec,
  parseEditImage,
  parseSampling,
  DEFAULT_EDIT_LIMITS,
} from "./edit-spec.js";
export type {
  EditSpec,
  EditOutputSpec,
  OutputSize,
  Sampling,
  SamplingDefaults,
  SamplingLimits,
  EditLimits,
  RawFields,
} from "./edit-spec.js";
export type { DenoiseParams, EditBackends, TextEncoding } from "./backends.js";
export { runEdit } from "./run-edit.js";
export type { EditContext, EditImage, EditInput, EditOutput, StageTiming } from "./run-edit.js";
export { createUncondCache } from "./uncond-cache.js";
export type { UncondCache } from "./uncond-cache.js";
export { rankTasks, resolveTask, softmax } from "./task-resolution.js";
export type { ResolvedTask, TaskRef, TaskSource } from "./task-resolution.js";
export { EditAbortedError, InvalidEditError, ModelOutputError, TaskUnclearError, UnknownTaskError } from "./errors.js";
export type { TaskCandidate } from "./errors.js";
