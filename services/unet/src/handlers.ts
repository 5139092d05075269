// DenoiserService.Denoise: the unet service's wire edge. The request is validated here once
// (sampling by the edit contract's parser, tensors against the model), then the stage runs the
// loop and every step's latent goes to JetStream, each publish in its own span whose context
// rides in the message headers (the gateway continues the trace when it reads them).
import { EmueditError, Status } from "@emuedit/errors";
import { parseSampling, type SamplingLimits } from "@emuedit/edit-contract";
import type { ModelPackage } from "@emuedit/model-package";
import { readCheckpoint, validateEditId, type ConnectionState, type LatentPublisher } from "@emuedit/nats";
import type { JetStreamClient } from "@nats-io/jetstream";
import { GrpcError, GrpcStatus, type DenoiseRequest, type DenoiserService, type ServiceImpl } from "@emuedit/proto";
import type { Logger } from "@emuedit/service-kit";
import type { DenoiserStage, ResumeFrom, StepReport } from "@emuedit/stages";
import { activeSpan, injectTraceHeaders, withSpan } from "@emuedit/telemetry";
import { tensorFromProto, tensorToProto, type HostTensor } from "@emuedit/tensors";
import { recordLatentPublish } from "./metrics.js";

export interface DenoiserDeps {
  readonly pkg: ModelPackage;
  readonly stage: DenoiserStage;
  readonly limits: SamplingLimits;
  readonly publisher: LatentPublisher;
  readonly js: JetStreamClient;
  /** While NATS is down the loop skips publishing instead of waiting out a timeout per step. */
  readonly nats: ConnectionState;
  readonly log: Logger;
}

const required = (field: string) => new EmueditError(Status.InvalidArgument, `${field}: required`, { details: { field } });

export function denoiserHandlers(deps: DenoiserDeps): ServiceImpl<typeof DenoiserService> {
  const { pkg, stage, log } = deps;
  const c = pkg.unet.latentChannels;
  const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;

  return {
    async denoise(req, ctx) {
      // 0. Check inputs: ids and sampling ranges (the edit contract), tensor shapes (the model).
      const editId = validateEditId(req.editId);
      const sampling = parseSampling(
        { steps: req.steps, guidance_scale: req.guidanceScale, image_guidance_scale: req.imageGuidanceScale, seed: req.seed, scheduler: req.scheduler },
        deps.limits,
      );
      const need = (t: DenoiseRequest["imageLatent"], name: string, shape: (number | null)[]): HostTensor => {
        if (!t) throw required(name);
        return tensorFromProto(t, { dtype: "float32", shape, name });
      };
      const imageLatent = need(req.imageLatent, "image_latent", [1, c, null, null]);
      const textEmbedding = need(req.textEmbeddings, "text_embeddings", [1, l, d]);
      const uncondEmbedding = need(req.uncondEmbeddings, "uncond_embeddings", [1, l, d]);
      const taskEmbedding = req.taskEmbedding ? (tensorFromProto(req.taskEmbedding, { dtype: "float32", name: "task_embedding" }).data as Float32Array) : null;
      const resume = await resumePoint(deps, editId, req, sampling);
      // On the Denoise server span: what a person filters traces by.
      const span = activeSpan();
      span?.setAttributes({ "emuedit.edit_id": editId, "emuedit.steps": sampling.steps, "emuedit.resumed_at_step": resume?.stepIndex ?? 0 });
      let maxBatchEdits = 1;

      // 1. Run the loop, publishing latents as it goes. Publishes are chained (in step order)
      //    but not awaited by the loop, so the NATS round trip overlaps the next UNet step.
      let publishing: Promise<void> = Promise.resolve();
      let publishFailed = false;
      const onStep = (r: StepReport) => {
        maxBatchEdits = Math.max(maxBatchEdits, r.batchEdits);
        if (!deps.nats.connected || publishFailed) return;
        const previous = publishing;
        publishing = (async () => {
          await previous;
          if (publishFailed) return;
          const started = performance.now();
          try {
            const attributes = { "emuedit.edit_id": editId, "emuedit.step": r.step, "emuedit.steps": r.totalSteps, "emuedit.batch_size": r.batchEdits };
            await withSpan("emuedit.latent.publish", attributes, () =>
              deps.publisher.publish({
                editId,
                step: r.step,
                totalSteps: r.totalSteps,
                timestep: r.timestep,
                latent: { dtype: "float32", shape: imageLatent.shape, data: r.latent },
                schedulerState: r.schedulerState.history,
                seed: sampling.seed,
                traceContext: injectTraceHeaders(),
              }),
            );
            recordLatentPublish(performance.now() - started, true);
          } catch (err) {
            recordLatentPublish(performance.now() - started, false);
            // Previews and checkpoints are best-effort: a NATS hiccup must not fail the edit,
            // and one failure stops this edit's publishing so later steps do not queue up.
            publishFailed = true;
            log.warn("latent publish failed; no more previews for this edit", { editId, step: r.step, error: String(err) });
          }
        })();
      };
      try {
        const latent = await stage.denoise(
          { imageLatent, textEmbedding, uncondEmbedding, taskEmbedding, sampling, previewEvery: req.previewEvery },
          { onStep, signal: ctx.signal, ...(resume ? { resume } : {}) },
        );
        return { latent: tensorToProto(latent), steps: sampling.steps };
      } catch (err) {
        if (!(err instanceof EmueditError) || err.status === Status.Internal) log.error("denoise failed", { editId, error: String(err) });
        throw err;
      } finally {
        // Every publish is settled before the reply, so nothing of this edit lands in JetStream
        // after it. Then its checkpoint goes, unless someone may still resume it.
        await publishing;
        span?.setAttribute("emuedit.batch_size", maxBatchEdits);
        await finishCheckpoint(deps, editId, ctx.signal);
      }
    },
  };
}

/**
 * The end of an edit's latents. A caller that cancelled may come back for the checkpoint (a
 * gateway that died with an accepted job, a replica shutting down under its calls), so it is
 * kept until EMUEDIT_LATENT_MAX_AGE_MS. Any other end is final: the reply carries the result, or
 * the edit failed (deadline, bad request, error); the checkpoint and its objects are purged, so
 * the stream holds only edits in flight.
 */
async function finishCheckpoint(deps: DenoiserDeps, editId: string, signal: AbortSignal): Promise<void> {
  const cancelled = signal.aborted && signal.reason instanceof GrpcError && signal.reason.grpcCode === GrpcStatus.CANCELLED;
  if (cancelled || !deps.nats.connected) return deps.publisher.release(editId);
  try {
    await deps.publisher.purge(editId);
  } catch (err) {
    deps.log.warn("checkpoint purge failed; it expires with the stream's max age", { editId, error: String(err) });
  }
}

/** The resume point of a request: explicit, from the JetStream checkpoint, or none. */
async function resumePoint(deps: DenoiserDeps, editId: string, req: DenoiseRequest, sampling: { steps: number; seed: number }): Promise<ResumeFrom | undefined> {
  const r = req.resume;
  if (!r) return undefined;
  if (r.fromCheckpoint) {
    const cp = await readCheckpoint(deps.js, editId);
    if (!cp) return undefined;
    if (cp.totalSteps !== sampling.steps || cp.seed !== sampling.seed) {
      throw new EmueditError(
        Status.InvalidArgument,
        `resume: the checkpoint of ${editId} is for ${cp.totalSteps} steps / seed ${cp.seed}, the request asks ${sampling.steps} / ${sampling.seed}`,
      );
    }
    deps.log.info("resuming from checkpoint", { editId, step: cp.step });
    return { stepIndex: cp.step, latent: cp.latent.data as Float32Array, history: cp.schedulerState };
  }
  if (!r.latent) throw required("resume.latent");
  const latent = tensorFromProto(r.latent, { dtype: "float32", name: "resume.latent" });
  const history = r.schedulerState.map((t, i) => tensorFromProto(t, { dtype: "float32", name: `resume.scheduler_state[${i}]` }).data as Float32Array);
  return { stepIndex: r.stepIndex, latent: latent.data as Float32Array, history };
}
