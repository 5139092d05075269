export {
  DiffusionError,
  InvalidArgumentError,
  SchedulerConfigError,
  SchedulerStateError,
  ShapeMismatchError,
  UnetChannelMismatchError,
  UnsupportedSchedulerError,
} from "./errors.js";
export { SchedulerClassName } from "./schedulers/scheduler.js";
export type {
  BetaSchedule,
  PredictionType,
  Scheduler,
  SchedulerConfig,
  SchedulerState,
  StepOptions,
  TimestepSpacing,
} from "./schedulers/scheduler.js";
export {
  createScheduler,
  isSupportedScheduler,
  SUPPORTED_SCHEDULERS,
} from "./schedulers/create-scheduler.js";
export type { CreateSchedulerOverrides } from "./schedulers/create-scheduler.js";
export { gaussianNoise, initialLatents, INITIAL_NOISE_COUNTER, philox4x32 } from "./noise.js";
export { combineGuidance } from "./guidance.js";
export { assertUnetChannels, buildGuidanceBatch } from "./guidance-batch.js";
export type { GuidanceBatch, GuidanceBatchInput } from "./guidance-batch.js";
