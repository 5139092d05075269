// The gateway's edit, end to end (DESIGN.md section 1), shared by HTTP and gRPC:
// decode -> resize -> runEdit over the model services -> post-process -> encode.
import { randomUUID } from "node:crypto";
import {
  decodeImage,
  encodeImage,
  OUTPUT_MIME_TYPES,
  planResize,
  resizeRgb,
  thresholdComposite,
  type ImageLimits,
} from "@emuedit/imaging";
import type { ModelPackage } from "@emuedit/model-package";
import { setTimeout as sleep } from "node:timers/promises";
import { watchLatents, type ConnectionState } from "@emuedit/nats";
import type { NatsConnection } from "@nats-io/transport-node";
import { EditAbortedError, fixedImageSize, runEdit, type ResolvedTask, type TaskSource, type UncondCache } from "@emuedit/pipeline";
import { withSpan } from "@emuedit/telemetry";
import type { Downstream } from "./downstream.js";
import { recordStage, recordTaskLookup } from "./metrics.js";
import type { EditParams } from "./edit-params.js";
import { DeadlineError, RequestError, UnavailableError } from "./request-errors.js";

/** Longest wait for the progress subscription to be registered before the edit starts anyway. */
const PROGRESS_SUBSCRIBE_WAIT_MS = 1000;

export interface EditResult {
  readonly id: string;
  readonly image: Buffer;
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
  readonly task: ResolvedTask | null;
  readonly seed: number;
  readonly timings: ReadonlyArray<{ stage: string; durationMs: number }>;
}

export interface Progress {
  readonly step: number;
  readonly totalSteps: number;
  readonly stage: string;
}

export interface EditServiceDeps {
  readonly pkg: ModelPackage;
  readonly downstream: Downstream;
  readonly tasks: TaskSource;
  readonly uncond: UncondCache;
  readonly nc: NatsConnection;
  /** NATS down: edits go on without progress events rather than wait for a reconnect. */
  readonly natsState: ConnectionState;
  readonly imageLimits: ImageLimits;
  readonly maxWorkingSidePx: number;
  readonly previewEvery: number;
  readonly maxConcurrentEdits: number;
  readonly retryAfterS: number;
}

export interface EditService {
  edit(params: EditParams, opts: { signal: AbortSignal; onProgress?: (p: Progress) => void }): Promise<EditResult>;
  readonly inFlight: number;
}

export function createEditService(deps: EditServiceDeps): EditService {
  let inFlight = 0;
  // Exports with static spatial dims take exactly that size (stretched); others keep the aspect.
  const fixed = fixedImageSize(deps.pkg);
  const policy = {
    resolution: deps.pkg.resolution,
    multipleOf: deps.pkg.vaeScaleFactor,
    ...(deps.maxWorkingSidePx > 0 ? { maxSide: deps.maxWorkingSidePx } : {}),
  };

  async function edit(params: EditParams, opts: { signal: AbortSignal; onProgress?: (p: Progress) => void }): Promise<EditResult> {
    // 0. Deadline: the request's own, and the client going away, both stop the edit.
    const deadlineAt = Date.now() + params.timeoutMs;
    const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(params.timeoutMs)]);
    const id = randomUUID();
    const timings: { stage: string; durationMs: number }[] = [];
    const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        return await withSpan(`emuedit.${stage}`, { "emuedit.edit_id": id }, fn);
      } finally {
        timings.push({ stage, durationMs: performance.now() - start });
      }
    };

    // 1. Decode (pixel limit, EXIF orientation, alpha flattened) and resize to the working size.
    const decoded = await timed("decode", () => decodeImage(params.image, deps.imageLimits));
    const size = fixed ?? planResize(decoded, policy);
    const working = await timed("resize", () => resizeRgb(decoded, size.width, size.height));

    // 2. Progress: subscribe to this edit's latents before the denoiser can publish the first.
    const watch = opts.onProgress && deps.natsState.connected ? watchLatents(deps.nc, id, { signal }) : null;
    const forwarding = watch
      ? (async () => {
          for await (const cp of watch) opts.onProgress!({ step: cp.step, totalSteps: cp.totalSteps, stage: "denoise" });
        })().catch(() => undefined)
      : null;
    if (watch) await Promise.race([watch.ready.catch(() => undefined), sleep(PROGRESS_SUBSCRIBE_WAIT_MS)]);

    // 3. The edit itself over the model services.
    let out;
    try {
      out = await runEdit(
        { backends: deps.downstream.backends(deadlineAt, deps.previewEvery), tasks: deps.tasks, uncond: deps.uncond },
        {
          editId: id,
          image: working,
          instruction: params.instruction,
          ...(params.task ? { task: params.task } : {}),
          steps: params.steps,
          guidanceScale: params.guidanceScale,
          imageGuidanceScale: params.imageGuidanceScale,
          seed: params.seed,
          previewEvery: deps.previewEvery,
        },
        signal,
      );
    } catch (err) {
      throw asDeadline(err, signal, opts.signal);
    } finally {
      watch?.close();
      await forwarding;
    }
    timings.push(...out.timings);
    if (out.task) recordTaskLookup(out.task.predicted);

    // 4. Multi-turn post-process, then encode at the requested size.
    const edited = params.preserveUnedited ? thresholdComposite(working, out.image) : out.image;
    const target = params.size === "original" ? { width: decoded.width, height: decoded.height } : { width: edited.width, height: edited.height };
    const encoded = await timed("encode", () =>
      encodeImage(edited, params.outputFormat, target.width !== edited.width || target.height !== edited.height ? { resizeTo: target } : {}),
    );
    return {
      id,
      image: encoded.bytes,
      mimeType: OUTPUT_MIME_TYPES[params.outputFormat],
      width: target.width,
      height: target.height,
      task: out.task,
      seed: params.seed,
      timings,
    };
  }

  const recorded = async (params: EditParams, opts: { signal: AbortSignal; onProgress?: (p: Progress) => void }) => {
    const result = await edit(params, opts);
    for (const t of result.timings) recordStage(t.stage, t.durationMs);
    return result;
  };

  return {
    get inFlight() {
      return inFlight;
    },
    async edit(params, opts) {
      if (inFlight >= deps.maxConcurrentEdits) {
        throw new UnavailableError(`${inFlight} edits in flight (EMUEDIT_MAX_CONCURRENT_EDITS)`, deps.retryAfterS);
      }
      inFlight++;
      try {
        return await recorded(params, opts);
      } finally {
        inFlight--;
      }
    },
  };
}

/** An edit stopped by its own deadline is a 504, by the client going away a 499. */
function asDeadline(err: unknown, signal: AbortSignal, clientSignal: AbortSignal): unknown {
  if (err instanceof DeadlineError) return err;
  if (signal.aborted && !clientSignal.aborted) return new DeadlineError("the edit did not finish before its deadline", { cause: err });
  if (clientSignal.aborted) return new RequestError(499, "cancelled", "the client cancelled the edit", undefined, { cause: err });
  if (err instanceof EditAbortedError) return new DeadlineError(err.message, { cause: err });
  return err;
}
