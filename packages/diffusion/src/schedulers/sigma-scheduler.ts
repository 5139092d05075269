/**
 * What Euler, Euler-ancestral and LMS share: they work in sigma space (x_t = x_0 + sigma * eps),
 * build their schedule with `sigmaSchedule`, and scale the model input by 1 / sqrt(sigma^2 + 1).
 * Each subclass says only how its schedule ends (`scheduleShape`) and how it steps.
 */
import { SchedulerConfigError } from "../errors.js";
import { SchedulerBase } from "./base.js";
import type { CommonSettings } from "./config.js";
import { initNoiseSigmaFor, scaleBySigma, sigmaSchedule, type SigmaScheduleInput } from "./sigma-space.js";

export abstract class SigmaSchedulerBase extends SchedulerBase {
  protected abstract readonly common: CommonSettings;
  /** [num_train_timesteps] f32 training sigmas. */
  protected abstract readonly trainSigmas: Float32Array;
  /** [n+1] f32: sigma of each step, then the final sigma */
  protected sigmaTable: Float32Array = new Float32Array(0);
  private noiseSigma = 1;

  /** Karras range (or null) and the sigma appended after the last step. */
  protected abstract scheduleShape(): Pick<SigmaScheduleInput, "karras" | "finalSigma">;

  get initNoiseSigma(): number {
    this.requireSchedule();
    return this.noiseSigma;
  }

  /** Noise levels of the schedule [n+1] (last = final sigma); a copy, valid after setTimesteps. */
  get sigmas(): number[] {
    this.requireSchedule();
    return Array.from(this.sigmaTable);
  }

  setTimesteps(numSteps: number): void {
    SchedulerBase.checkNumSteps(this.name, numSteps, this.common.numTrainTimesteps);
    const { timesteps, sigmas } = sigmaSchedule({
      spacing: this.common.timestepSpacing,
      numTrainTimesteps: this.common.numTrainTimesteps,
      numSteps,
      stepsOffset: this.common.stepsOffset,
      trainSigmas: this.trainSigmas,
      ...this.scheduleShape(),
    });
    if (sigmas.some((s) => !Number.isFinite(s))) {
      throw new SchedulerConfigError(`${this.name}: the noise schedule has a non-finite sigma`);
    }
    this.sigmaTable = sigmas;
    this.noiseSigma = initNoiseSigmaFor(sigmas, this.common.timestepSpacing);
    this.resetState(timesteps);
  }

  scaleModelInput(sample: Float32Array, t: number, stepIndex?: number): Float32Array {
    return scaleBySigma(sample, this.sigmaTable[this.resolveIndex(t, stepIndex)]!);
  }
}
