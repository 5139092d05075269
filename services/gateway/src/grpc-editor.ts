// EditorService over gRPC: the same edit as POST /v1/edits; EditStream adds step progress. The
// gRPC edge: fields are parsed once into an EditSpec; a thrown EmueditError becomes its gRPC
// status in the adapter (@emuedit/proto); every call leaves one log line.
import { randomUUID } from "node:crypto";
import { parseEditImage, parseEditSpec, type EditLimits, type SamplingDefaults } from "@emuedit/edit-contract";
import { asEmueditError, GRPC_CODE } from "@emuedit/errors";
import type { TaskEntry } from "@emuedit/nats";
import { EditorService, GrpcStatus, type CallContext, type EditRequest, type ServiceImpl } from "@emuedit/proto";
import type { Logger } from "@emuedit/service-kit";
import type { EditRecord, EditResult, EditService, Progress } from "./edit-service.js";

export interface GrpcEditorDeps {
  readonly edits: EditService;
  readonly tasks: { list(): readonly TaskEntry[] };
  readonly defaults: SamplingDefaults;
  readonly limits: EditLimits;
  readonly log: Logger;
}

export function editorHandlers(deps: GrpcEditorDeps): ServiceImpl<typeof EditorService> {
  const parse = (req: EditRequest | undefined, deadline: Date | undefined) => {
    const image = parseEditImage(req?.image);
    const spec = parseEditSpec(
      {
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
      },
      { defaults: deps.defaults, limits: deps.limits },
    );
    return { image, spec };
  };

  /** One log line per call, as the HTTP edge writes per request. */
  const logCall = (method: string, started: number, failure: unknown, record?: EditRecord) =>
    deps.log.info("call", {
      method,
      status: failure === undefined ? "OK" : (GrpcStatus[GRPC_CODE[asEmueditError(failure).status]] ?? "INTERNAL"),
      duration_ms: Number((performance.now() - started).toFixed(1)),
      edit_id: record?.id,
      task: record?.task,
    });
  const logged = async <T>(method: string, record: EditRecord | undefined, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    let failure: unknown;
    try {
      return await fn();
    } catch (err) {
      failure = err ?? new Error("unknown failure");
      throw err;
    } finally {
      logCall(method, started, failure, record);
    }
  };

  return {
    async edit(req, ctx) {
      const record: EditRecord = { id: randomUUID() };
      return logged("Edit", record, async () => {
        const { image, spec } = parse(req, ctx.deadline);
        return toResponse(await deps.edits.edit(image, spec, { record, signal: ctx.signal }));
      });
    },
    async *editStream(req, ctx) {
      const record: EditRecord = { id: randomUUID() };
      const started = performance.now();
      let failure: unknown;
      try {
        yield* stream(deps, req, ctx, record, parse);
      } catch (err) {
        failure = err ?? new Error("unknown failure");
        throw err;
      } finally {
        logCall("EditStream", started, failure, record);
      }
    },
    async listTasks() {
      return logged("ListTasks", undefined, async () => ({
        tasks: deps.tasks.list().map((t) => ({ name: t.name, group: t.group, description: t.description, examples: [...t.examples] })),
      }));
    },
  };
}

/** Progress events as the denoiser publishes them, then the one result. */
async function* stream(
  deps: GrpcEditorDeps,
  req: { edit?: EditRequest | undefined },
  ctx: CallContext,
  record: EditRecord,
  parse: (req: EditRequest | undefined, deadline: Date | undefined) => { image: Uint8Array; spec: ReturnType<typeof parseEditSpec> },
) {
  const { image, spec } = parse(req.edit, ctx.deadline);
  const queue: Progress[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let result: EditResult | undefined;
  let failure: unknown;
  deps.edits
    .edit(image, spec, {
      record,
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
      yield { event: { case: "progress" as const, value: { step: pr.step, totalSteps: pr.totalSteps, stage: pr.stage } } };
    }
    if (done) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  if (failure !== undefined || !result) throw failure;
  yield { event: { case: "result" as const, value: toResponse(result) } };
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
    timings: [...r.coldStarts, ...r.timings].map((t) => ({ stage: t.stage, durationMs: t.durationMs })),
  };
}
