// Which task an edit runs: the request's explicit task, or the task classifier's prediction
// from the instruction when it is confident enough (docs/architecture.md, "Tasks").
import type { HostTensor } from "@emuedit/tensors";
import { TaskUnclearError, UnknownTaskError } from "./errors.js";

/** The part of a task entry an edit needs. */
export interface TaskRef {
  readonly id: number;
  readonly name: string;
  readonly embedding: Float32Array;
}

/** Where tasks come from: the model package's table in-process, the NATS-backed cache in the gateway. */
export interface TaskSource {
  get(name: string): TaskRef | undefined;
  list(): readonly TaskRef[];
}

export interface ResolvedTask {
  readonly task: TaskRef;
  readonly predicted: boolean;
  /** Softmax probability of the predicted task; 1 for an explicit one. */
  readonly confidence: number;
}

/** Candidates a task_unclear refusal names. */
const CANDIDATES = 3;

/**
 * Returns null for models without tasks (plain InstructPix2Pix). A requested name must exist and
 * is always honoured; a prediction picks the most likely logit whose id is in the source (ids
 * index the logits) and must reach `minConfidence` (0 accepts any), else TaskUnclearError.
 */
export function resolveTask(
  tasks: TaskSource,
  requested: string | undefined,
  logits: HostTensor | null,
  minConfidence = 0,
): ResolvedTask | null {
  const all = tasks.list();
  if (requested) {
    const task = tasks.get(requested);
    if (!task) throw new UnknownTaskError(requested, all.map((t) => t.name));
    return { task, predicted: false, confidence: 1 };
  }
  if (all.length === 0) return null;
  if (!logits) throw new UnknownTaskError("(none)", all.map((t) => t.name));
  const ranked = rankTasks(tasks, logits);
  const best = ranked[0];
  if (!best) throw new UnknownTaskError("(predicted)", all.map((t) => t.name));
  if (best.confidence < minConfidence) {
    throw new TaskUnclearError(
      ranked.slice(0, CANDIDATES).map((c) => ({ task: c.task.name, confidence: c.confidence })),
      minConfidence,
    );
  }
  return { task: best.task, predicted: true, confidence: best.confidence };
}

/**
 * The source's tasks by the classifier's softmax probability, likeliest first (ids index the
 * logits; a task whose id is outside them is left out). `logits`: [1,T] or [T] f32.
 */
export function rankTasks(tasks: TaskSource, logits: HostTensor): { task: TaskRef; confidence: number }[] {
  const probs = softmax(logits.data as Float32Array);
  return tasks
    .list()
    .filter((t) => t.id >= 0 && t.id < probs.length)
    .map((task) => ({ task, confidence: probs[task.id]! }))
    .sort((a, b) => b.confidence - a.confidence);
}

export function softmax(x: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i]! - max);
  for (let i = 0; i < x.length; i++) out[i] = out[i]! / sum;
  return out;
}
