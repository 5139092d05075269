/**
 * The only way to build a scheduler: from a parsed diffusers scheduler_config.json, the class
 * taken from `_class_name` or from `overrides.className` (diffusers' `OtherScheduler.from_config`).
 */
import { UnsupportedSchedulerError } from "../errors.js";
import { DDIMScheduler } from "./ddim.js";
import { DPMSolverMultistepScheduler } from "./dpm-solver-multistep.js";
import { EulerAncestralDiscreteScheduler } from "./euler-ancestral.js";
import { EulerDiscreteScheduler } from "./euler.js";
import { LMSDiscreteScheduler } from "./lms.js";
import { SchedulerClassName, type Scheduler, type SchedulerConfig } from "./scheduler.js";

const CONSTRUCTORS: Record<SchedulerClassName, new (config: SchedulerConfig) => Scheduler> = {
  [SchedulerClassName.EulerAncestralDiscrete]: EulerAncestralDiscreteScheduler,
  [SchedulerClassName.EulerDiscrete]: EulerDiscreteScheduler,
  [SchedulerClassName.DDIM]: DDIMScheduler,
  [SchedulerClassName.DPMSolverMultistep]: DPMSolverMultistepScheduler,
  [SchedulerClassName.LMSDiscrete]: LMSDiscreteScheduler,
};

/** Class names createScheduler accepts. */
export const SUPPORTED_SCHEDULERS: readonly SchedulerClassName[] = Object.values(SchedulerClassName);

export function isSupportedScheduler(name: string): name is SchedulerClassName {
  return (SUPPORTED_SCHEDULERS as readonly string[]).includes(name);
}

export interface CreateSchedulerOverrides {
  /** Use this algorithm with the config's schedule settings (keys it does not know are ignored). */
  className?: string;
}

export function createScheduler(config: SchedulerConfig, overrides: CreateSchedulerOverrides = {}): Scheduler {
  const className = overrides.className ?? config._class_name;
  if (typeof className !== "string" || className === "") {
    throw new UnsupportedSchedulerError(
      `scheduler config has no "_class_name" and no className override; supported: ${SUPPORTED_SCHEDULERS.join(", ")}`,
    );
  }
  if (!isSupportedScheduler(className)) {
    throw new UnsupportedSchedulerError(
      `scheduler "${className}" is not supported; supported: ${SUPPORTED_SCHEDULERS.join(", ")}`,
    );
  }
  return new CONSTRUCTORS[className](config);
}
