/**
 * Typed reads of a diffusers scheduler_config.json. A missing key (or JSON null) takes the class's
 * diffusers default; a present key of the wrong type, or a value that selects an unimplemented
 * feature, is a SchedulerConfigError that names the key.
 */
import { SchedulerConfigError } from "../errors.js";
import type { BetaScheduleSettings } from "./schedules.js";
import type { PredictionType, SchedulerConfig } from "./scheduler.js";

export function readNumber(config: SchedulerConfig, key: string, fallback: number): number {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new SchedulerConfigError(`scheduler config "${key}" must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readInteger(config: SchedulerConfig, key: string, fallback: number, min = 0): number {
  const value = readNumber(config, key, fallback);
  if (!Number.isInteger(value) || value < min) {
    throw new SchedulerConfigError(`scheduler config "${key}" must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

export function readBoolean(config: SchedulerConfig, key: string, fallback: boolean): boolean {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw new SchedulerConfigError(`scheduler config "${key}" must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function readChoice<T extends string>(
  config: SchedulerConfig,
  key: string,
  fallback: T,
  allowed: readonly T[],
  className: string,
): T {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new SchedulerConfigError(
      `${className}: scheduler config "${key}" = ${JSON.stringify(value)} is not supported; ` +
        `supported: ${allowed.join(", ")}`,
    );
  }
  return value as T;
}

/** Rejects a key whose non-default value selects a feature this package does not implement. */
export function rejectUnless(config: SchedulerConfig, key: string, accepted: unknown, className: string): void {
  const value = config[key];
  if (value === undefined || value === null || value === accepted) return;
  throw new SchedulerConfigError(
    `${className}: scheduler config "${key}" = ${JSON.stringify(value)} is not supported ` +
      `(only ${JSON.stringify(accepted)})`,
  );
}

/** Settings every scheduler here reads, with diffusers' shared defaults. */
export interface CommonSettings extends BetaScheduleSettings {
  stepsOffset: number;
  timestepSpacing: string;
  predictionType: PredictionType;
}

export function readCommon(
  config: SchedulerConfig,
  className: string,
  defaults: { timestepSpacing: string; predictionTypes: readonly PredictionType[] },
): CommonSettings {
  const trained = config.trained_betas;
  if (trained != null && (!Array.isArray(trained) || trained.some((b) => typeof b !== "number"))) {
    throw new SchedulerConfigError(`scheduler config "trained_betas" must be an array of numbers`);
  }
  const numTrainTimesteps = readInteger(config, "num_train_timesteps", 1000, 2);
  if (trained != null && trained.length !== numTrainTimesteps) {
    throw new SchedulerConfigError(
      `scheduler config "trained_betas" has ${trained.length} values but num_train_timesteps is ${numTrainTimesteps}`,
    );
  }
  return {
    numTrainTimesteps,
    betaStart: readNumber(config, "beta_start", 0.0001),
    betaEnd: readNumber(config, "beta_end", 0.02),
    betaSchedule: readChoice(config, "beta_schedule", "linear", ["linear", "scaled_linear", "squaredcos_cap_v2"], className),
    trainedBetas: trained ?? null,
    stepsOffset: readInteger(config, "steps_offset", 0),
    timestepSpacing: readChoice(config, "timestep_spacing", defaults.timestepSpacing, ["linspace", "leading", "trailing"], className),
    predictionType: readChoice(config, "prediction_type", "epsilon", defaults.predictionTypes, className),
  };
}
