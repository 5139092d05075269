/**
 * The thin base every scheduler extends: the timestep table, the step counter (diffusers'
 * `_step_index`), the multistep history, and snapshot/restore. Algorithms add only their math.
 */
import { SchedulerStateError, ShapeMismatchError } from "../errors.js";
import type { Scheduler, SchedulerClassName, SchedulerState, StepOptions } from "./scheduler.js";

export abstract class SchedulerBase implements Scheduler {
  abstract readonly name: SchedulerClassName;
  readonly order = 1;
  /** Set by setTimesteps; null before. */
  protected schedule: number[] | null = null;
  /** Index in `schedule` of the next step. */
  protected counter = 0;
  /** Tensors kept from earlier steps, oldest first (multistep solvers only). */
  protected history: Float32Array[] = [];

  abstract get initNoiseSigma(): number;
  abstract setTimesteps(numSteps: number): void;
  abstract scaleModelInput(sample: Float32Array, t: number, stepIndex?: number): Float32Array;
  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, opts?: StepOptions): Float32Array;
  abstract addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;

  get timesteps(): number[] {
    return [...this.requireSchedule()];
  }

  stateTensorCount(): number {
    return 0;
  }

  snapshot(): SchedulerState {
    this.requireSchedule();
    return { stepIndex: this.counter, history: this.history.map((h) => new Float32Array(h)) };
  }

  restore(state: SchedulerState): void {
    const schedule = this.requireSchedule();
    const { stepIndex, history } = state;
    if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex > schedule.length) {
      throw new SchedulerStateError(
        `${this.name}: restored stepIndex ${stepIndex} is outside 0..${schedule.length} (call setTimesteps with the edit's step count first)`,
      );
    }
    if (history.length > this.stateTensorCount() || history.length > stepIndex) {
      throw new SchedulerStateError(
        `${this.name}: restored history has ${history.length} tensors; at most ${Math.min(this.stateTensorCount(), stepIndex)} fit step ${stepIndex}`,
      );
    }
    const first = history[0];
    if (first && history.some((h) => h.length !== first.length)) {
      throw new SchedulerStateError(`${this.name}: restored history tensors differ in length`);
    }
    this.counter = stepIndex;
    this.history = history.map((h) => new Float32Array(h));
  }

  /** Resets the state after a new schedule. */
  protected resetState(schedule: number[]): void {
    this.schedule = schedule;
    this.counter = 0;
    this.history = [];
  }

  protected requireSchedule(): number[] {
    if (this.schedule === null) {
      throw new SchedulerStateError(`${this.name}: call setTimesteps(numSteps) before using the scheduler`);
    }
    return this.schedule;
  }

  /**
   * The step index for `t`: `stepIndex` if given, else the counter. `t` must be exactly
   * `timesteps[index]`; a mismatch means the caller's loop and the scheduler disagree.
   */
  protected resolveIndex(t: number, stepIndex: number | undefined): number {
    const schedule = this.requireSchedule();
    const index = this.checkIndex(stepIndex ?? this.counter);
    if (schedule[index] !== t) {
      throw new SchedulerStateError(
        `${this.name}: t=${t} is not timesteps[${index}]=${schedule[index]}; pass scheduler.timesteps[i] unchanged`,
      );
    }
    return index;
  }

  /** `index` if it is a step of the schedule, else a SchedulerStateError. */
  protected checkIndex(index: number): number {
    const schedule = this.requireSchedule();
    if (!Number.isInteger(index) || index < 0 || index >= schedule.length) {
      throw new SchedulerStateError(
        `${this.name}: step index ${index} is outside 0..${schedule.length - 1}; the schedule has ${schedule.length} steps`,
      );
    }
    return index;
  }

  /** Multistep solvers keep history for the step at the counter; stepping elsewhere would mix it up. */
  protected requireCounterForHistory(index: number): void {
    if (this.history.length > 0 && index !== this.counter) {
      throw new SchedulerStateError(
        `${this.name}: step index ${index} given but the solver history belongs to step ${this.counter}; ` +
          `restore() a snapshot to jump`,
      );
    }
  }

  protected static checkLengths(name: string, a: Float32Array, b: Float32Array, what: string): void {
    if (a.length !== b.length) {
      throw new ShapeMismatchError(`${name}: ${what} lengths differ (${a.length} vs ${b.length})`);
    }
  }

  protected static checkNumSteps(name: string, numSteps: number, max: number): void {
    if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > max) {
      throw new SchedulerStateError(`${name}: numSteps must be an integer in 1..${max}, got ${numSteps}`);
    }
  }
}
