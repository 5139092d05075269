// Which task an edit runs: the request's explicit task, or the task classifier's prediction
// from the instruction (DESIGN.md section 4).
import type { HostTensor } from "@emuedit/tensors";
import { UnknownTaskError } from "./errors.js";

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

/**
 * Returns null for models without tasks (plain InstructPix2Pix). A requested name must exist;
 * a prediction picks the most likely logit whose id is in the source (ids index the logits).
 */
export function resolveTask(
  tasks: TaskSource,
  requested: string | undefined,
  logits: HostTensor | null,
): ResolvedTask | null {
  const all = tasks.list();
  if (requested) {
    const task = tasks.get(requested);
    if (!task) throw new UnknownTaskError(requested, all.map((t) => t.name));
    return { task, predicted: false, confidence: 1 };
  }
  if (all.length === 0) return null;
  if (!logits) throw new UnknownTaskError("(none)", all.map((t) => t.name));
  const row = logits.data as Float32Array;
  const probs = softmax(row);
  const byId = new Map(all.map((t) => [t.id, t]));
  let best: TaskRef | undefined;
  let bestP = -1;
  probs.forEach((p, id) => {
    const t = byId.get(id);
    if (t && p > bestP) {
      best = t;
      bestP = p;
    }
  });
  if (!best) throw new UnknownTaskError("(predicted)", all.map((t) => t.name));
  return { task: best, predicted: true, confidence: bestP };
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
