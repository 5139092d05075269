// EditorService over gRPC: the same edit as POST /v1/edits; EditStream adds step progress.
import { EditorService, type EditRequest, type ServiceImpl } from "@emuedit/proto";
import type { TaskEntry } from "@emuedit/nats";
import { parseEditParams, type ModelDefaults, type RawFields } from "./edit-params.js";
import type { EditResult, EditService, Progress } from "./edit-service.js";
import { toGrpcStatus, toPublicError } from "./error-mapping.js";
import type { EditLimits } from "./settings.js";

export interface GrpcEditorDeps {
  readonly edits: EditService;
  readonly tasks: { list(): readonly TaskEntry[] };
  readonly defaults: ModelDefaults;
  readonly limits: EditLimits;
}

export function editorHandlers(deps: GrpcEditorDeps): ServiceImpl<typeof EditorService> {
  const params = (req: EditRequest | undefined, deadline: Date | undefined) => {
    const fields: RawFields = {
      instruction: req?.instruction,
      task: req?.task,
      steps: req?.steps,
      guidance_scale: req?.guidanceScale,
      image_guidance_scale: req?.imageGuidanceScale,
      seed: req?.seed,
      output_format: req?.outputFormat,
      preserve_unedited: req?.preserveUnedited,
      size: req?.size,
      // The gRPC deadline is the edit's deadline.
      timeout_ms: deadline ? Math.max(1, Math.min(deps.limits.maxTimeoutMs, deadline.getTime() - Date.now())) : undefined,
    };
    return parseEditParams(req?.image, fields, deps.defaults, deps.limits);
  };

  return {
    async edit(req, ctx) {
      try {
        return toResponse(await deps.edits.edit(params(req, ctx.deadline), { signal: ctx.signal }));
      } catch (err) {
        throw toGrpcStatus(toPublicError(err));
      }
    },
    async *editStream(req, ctx) {
      const queue: Progress[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      let result: EditResult | undefined;
      let failure: unknown;
      const p = (() => {
        try {
          return params(req.edit, ctx.deadline);
        } catch (err) {
          throw toGrpcStatus(toPublicError(err));
        }
      })();
      deps.edits
        .edit(p, {
          signal: ctx.signal,
          onProgress: (pr) => {
            queue.push(pr);
            wake?.();
          },
        })
        .then(
          (r) => (result = r),
          (err: unknown) => (failure = err),
        )
        .finally(() => {
          done = true;
          wake?.();
        });
      while (true) {
        while (queue.length > 0) {
          const pr = queue.shift()!;
          yield { event: { case: "progress", value: { step: pr.step, totalSteps: pr.totalSteps, stage: pr.stage } } };
        }
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure !== undefined || !result) throw toGrpcStatus(toPublicError(failure));
      yield { event: { case: "result", value: toResponse(result) } };
    },
    async listTasks() {
      return {
        tasks: deps.tasks.list().map((t) => ({ name: t.name, group: t.group, description: t.description, examples: [...t.examples] })),
      };
    },
  };
}

function toResponse(r: EditResult) {
  return {
    id: r.id,
    image: r.image,
    mimeType: r.mimeType,
    width: r.width,
    height: r.height,
    task: r.task?.task.name ?? "",
    taskPredicted: r.task?.predicted ?? false,
    taskConfidence: r.task?.confidence ?? 0,
    seed: r.seed,
    timings: r.timings.map((t) => ({ stage: t.stage, durationMs: t.durationMs })),
  };
}
