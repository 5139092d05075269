// POST /v1/tasks/predict: which task the gateway would run for an instruction, without editing
// (docs/api.md). One text-encoder call (the task classifier's logits on its pooled output), the
// same ranking an edit's task resolution uses, so the answer is what an edit would do.
import { InvalidEditError, rankTasks, type EditBackends, type TaskSource } from "@emuedit/edit-contract";
import { readJsonObject } from "./http-body.js";
import { sendJson, type PathHandler, type PathRoutes } from "./http-reply.js";

/** Candidates listed besides the best one. */
const CANDIDATES = 5;
/** The request body holds one instruction: a few KiB is plenty. */
const MAX_BODY_BYTES = 64 * 1024;

export interface TaskPredictionDeps {
  /** Stage calls bounded by `deadlineAt` (ms since the epoch). */
  readonly backends: (deadlineAt: number) => EditBackends;
  readonly tasks: TaskSource;
  readonly minTaskConfidence: number;
  readonly maxInstructionChars: number;
  readonly timeoutMs: number;
}

export function taskPredictionRoutes(deps: TaskPredictionDeps): PathRoutes {
  const predict: PathHandler = async (req, res) => {
    const body = await readJsonObject(req, MAX_BODY_BYTES);
    const raw = body.instruction;
    if (typeof raw !== "string" || raw.trim() === "") throw new InvalidEditError("instruction", "required: a non-empty string");
    const instruction = raw.trim();
    if (instruction.length > deps.maxInstructionChars) {
      throw new InvalidEditError("instruction", `at most ${deps.maxInstructionChars} characters, got ${instruction.length}`);
    }
    const signal = AbortSignal.timeout(deps.timeoutMs);
    const text = await deps.backends(Date.now() + deps.timeoutMs).encodeText([instruction], signal);
    // A model without a classifier (plain InstructPix2Pix) predicts nothing: edits need no task.
    const ranked = text.taskLogits ? rankTasks(deps.tasks, text.taskLogits) : [];
    const best = ranked[0];
    sendJson(res, 200, {
      instruction,
      task: best?.task.name ?? null,
      confidence: best?.confidence ?? null,
      confident: best !== undefined && best.confidence >= deps.minTaskConfidence,
      min_confidence: deps.minTaskConfidence,
      candidates: ranked.slice(0, CANDIDATES).map((c) => ({ task: c.task.name, confidence: c.confidence })),
    });
  };
  return {
    match: (path) => (path === "/v1/tasks/predict" ? { route: path, methods: { POST: predict } } : undefined),
  };
}
