// The gateway's edit, end to end, shared by HTTP and gRPC: decode -> resize -> runEdit over
// the model services -> post-process -> encode. Requests arrive as an EditSpec (parsed once at
// their edge); failures leave as EmueditErrors (mapped once at their edge).
import { runEdit, type EditSpec, type ResolvedTask, type StageTiming, type TaskSource, type UncondCache } from "@emuedit/edit-contract";
import { EmueditError, Status } from "@emuedit/errors";
import { decodeImage, encodeImage, OUTPUT_MIME_TYPES, planResize, resizeRgb, thresholdComposite, type ImageLimits } from "@emuedit/imaging";
import { fixedImageSize, type ModelPackage } from "@emuedit/model-package";
import { setTimeout as sleep } from "node:timers/promises";
import { watchLatents, type ConnectionState, type LatentCheckpoint } from "@emuedit/nats";
import type { NatsConnection } from "@nats-io/transport-node";
import { activeSpan, extractTraceContext, withContext, withSpan } from "@emuedit/telemetry";
import type { Downstream } from "./downstream.js";
import { recordEdit, recordStage } from "./metrics.js";

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
  readonly timings: readonly StageTiming[];
  /** Waits for a ready replica (scale from zero), as `cold_start_<stage>` entries; usually none. */
  readonly coldStarts: readonly StageTiming[];
}

export interface Progress {
  readonly step: number;
  readonly totalSteps: number;
  readonly stage: string;
}

/** What one request learns about its edit as it goes, for the edge's log line. */
export interface EditRecord {
  /** Chosen by the edge, so even a failed edit's log line names it. */
  readonly id: string;
  task?: string;
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
  readonly minTaskConfidence: number;
  readonly maxConcurrentEdits: number;
  readonly retryAfterS: number;
}

export interface EditOptions {
  readonly record: EditRecord;
  readonly signal: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  /** Denoise continues from the edit's JetStream checkpoint (an async job taken over after its gateway died). */
  readonly resumeFromCheckpoint?: boolean;
  /** Reply at exactly this size (the OpenAI endpoint's `size`), overriding spec.output.size. */
  readonly outputSize?: { readonly width: number; readonly height: number };
}

export interface EditService {
  edit(image: Uint8Array, spec: EditSpec, opts: EditOptions): Promise<EditResult>;
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

  async function edit(image: Uint8Array, spec: EditSpec, opts: EditOptions): Promise<EditResult> {
    // 0. Deadline: the request's own, and the client going away, both stop the edit.
    const deadlineAt = Date.now() + spec.timeoutMs;
    const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(spec.timeoutMs)]);
    const { id } = opts.record;
    const timings: StageTiming[] = [];
    // One entry per stage: the vae's two calls may both wait, they sum.
    const waited = new Map<string, number>();
    const onColdStart = (stage: string, durationMs: number) => waited.set(stage, (waited.get(stage) ?? 0) + durationMs);
    const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        return await withSpan(`emuedit.${stage}`, { "emuedit.edit_id": id }, fn);
      } finally {
        timings.push({ stage, durationMs: performance.now() - start });
      }
    };

    // 1. Decode (pixel limit, EXIF orientation, alpha flattened) and resize to the working size.
    const decoded = await timed("decode", () => decodeImage(image, deps.imageLimits));
    const size = fixed ?? planResize(decoded, policy);
    const working = await timed("resize", () => resizeRgb(decoded, size.width, size.height));

    // 2. Progress: subscribe to this edit's latents before the denoiser can publish the first.
    //    Each latent carries its publish span's context: receiving it continues the edit's trace.
    const watch = opts.onProgress && deps.natsState.connected ? watchLatents(deps.nc, id, { signal }) : null;
    const forwarding = watch
      ? (async () => {
          for await (const cp of watch) await received(cp, () => opts.onProgress!({ step: cp.step, totalSteps: cp.totalSteps, stage: "denoise" }));
        })().catch(() => undefined)
      : null;
    if (watch) await Promise.race([watch.ready.catch(() => undefined), sleep(PROGRESS_SUBSCRIBE_WAIT_MS)]);

    // 3. The edit itself over the model services.
    let out;
    try {
      out = await runEdit(
        { backends: deps.downstream.backends({ deadlineAt, previewEvery: deps.previewEvery, onColdStart, resumeFromCheckpoint: opts.resumeFromCheckpoint ?? false }), tasks: deps.tasks, uncond: deps.uncond, minTaskConfidence: deps.minTaskConfidence },
        {
          editId: id,
          image: working,
          instruction: spec.instruction,
          task: spec.task,
          sampling: spec.sampling,
          previewEvery: deps.previewEvery,
          onTask: (t) => (opts.record.task = t?.task.name),
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

    // 4. Multi-turn post-process, then encode at the requested size.
    const edited = spec.output.preserveUnedited ? thresholdComposite(working, out.image) : out.image;
    const target = opts.outputSize ?? (spec.output.size === "original" ? { width: decoded.width, height: decoded.height } : { width: edited.width, height: edited.height });
    const encoded = await timed("encode", () =>
      encodeImage(edited, spec.output.format, target.width !== edited.width || target.height !== edited.height ? { resizeTo: target } : {}),
    );
    return {
      id,
      image: encoded.bytes,
      mimeType: OUTPUT_MIME_TYPES[spec.output.format],
      width: target.width,
      height: target.height,
      task: out.task,
      seed: spec.sampling.seed,
      timings,
      coldStarts: [...waited].map(([stage, durationMs]) => ({ stage: `cold_start_${stage}`, durationMs })),
    };
  }

  return {
    get inFlight() {
      return inFlight;
    },
    async edit(image, spec, opts) {
      if (inFlight >= deps.maxConcurrentEdits) {
        const err = new EmueditError(Status.Unavailable, `${inFlight} edits in flight (EMUEDIT_MAX_CONCURRENT_EDITS)`, { retryAfterS: deps.retryAfterS });
        recordEdit(err.code, "none");
        throw err;
      }
      inFlight++;
      const started = performance.now();
      // On the request's server span (HTTP or gRPC): what a person filters traces by.
      const span = activeSpan();
      span?.setAttributes({ "emuedit.edit_id": opts.record.id, "emuedit.steps": spec.sampling.steps });
      let outcome = "ok";
      try {
        const result = await edit(image, spec, opts);
        for (const t of result.timings) recordStage(t.stage, t.durationMs);
        return result;
      } catch (err) {
        outcome = err instanceof EmueditError ? err.code : "internal";
        throw err;
      } finally {
        inFlight--;
        const task = opts.record.task ?? "none";
        recordEdit(outcome, task, performance.now() - started);
        span?.setAttributes({ "emuedit.task": task, "emuedit.outcome": outcome });
      }
    },
  };
}

/** One latent message received: a span in the trace of the step that published it. */
function received(cp: LatentCheckpoint, forward: () => void): Promise<void> {
  return withContext(extractTraceContext(cp.traceContext), () =>
    withSpan("emuedit.latent.receive", { "emuedit.edit_id": cp.editId, "emuedit.step": cp.step, "emuedit.steps": cp.totalSteps }, async () => forward()),
  );
}

/** An edit stopped by its own deadline is a 504, by the client going away a 499. */
function asDeadline(err: unknown, signal: AbortSignal, clientSignal: AbortSignal): unknown {
  if (err instanceof EmueditError && err.status === Status.DeadlineExceeded) return err;
  if (signal.aborted && !clientSignal.aborted) return new EmueditError(Status.DeadlineExceeded, "the edit did not finish before its deadline", { cause: err });
  if (clientSignal.aborted) return new EmueditError(Status.Cancelled, "the client cancelled the edit", { cause: err });
  // Cancelled by neither: a model service gave up on the call (its shutdown grace ran out).
  if (err instanceof EmueditError && err.status === Status.Cancelled) return new EmueditError(Status.Unavailable, err.message, { cause: err });
  return err;
}
