import type { ModelPackage } from "@emuedit/model-package";
import { readCheckpoint, validateEditId, type ConnectionState, type LatentPublisher } from "@emuedit/nats";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { DenoiserStage, ResumeFrom, StepReport } from "@emuedit/pipeline";
import { GrpcStatus, invalidArgument, type DenoiseRequest, type DenoiserService, type ServiceImpl } from "@emuedit/proto";
import { toGrpcError, type Logger } from "@emuedit/service-kit";
import { injectTraceHeaders } from "@emuedit/telemetry";
import { tensorFromProto, tensorToProto, type HostTensor } from "@emuedit/tensors";

export interface DenoiserDeps {
  readonly pkg: ModelPackage;
  readonly stage: DenoiserStage;
  readonly publisher: LatentPublisher;
  readonly js: JetStreamClient;
  /** While NATS is down the loop skips publishing instead of waiting out a timeout per step. */
  readonly nats: ConnectionState;
  readonly log: Logger;
}

export function denoiserHandlers(deps: DenoiserDeps): ServiceImpl<typeof DenoiserService> {
  const { pkg, stage, log } = deps;
  const c = pkg.unet.latentChannels;
  const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;

  return {
    async denoise(req, ctx) {
      try {
        // 0. Check inputs (tensor shapes against the model, ids, ranges in the stage).
        const editId = validateEditId(req.editId);
        const need = (t: DenoiseRequest["imageLatent"], name: string, shape: (number | null)[]): HostTensor => {
          if (!t) throw invalidArgument(`${name}: required`);
          return tensorFromProto(t, { dtype: "float32", shape, name });
        };
        const imageLatent = need(req.imageLatent, "image_latent", [1, c, null, null]);
        const textEmbedding = need(req.textEmbeddings, "text_embeddings", [1, l, d]);
        const uncondEmbedding = need(req.uncondEmbeddings, "uncond_embeddings", [1, l, d]);
        const taskEmbedding = req.taskEmbedding ? (tensorFromProto(req.taskEmbedding, { dtype: "float32", name: "task_embedding" }).data as Float32Array) : null;
        const resume = await resumePoint(deps, editId, req);

        // 1. Run the loop, publishing latents as it goes. Publishes are chained (in step order)
        //    but not awaited by the loop, so the NATS round trip overlaps the next UNet step.
        let publishing: Promise<void> = Promise.resolve();
        let publishFailed = false;
        const onStep = (r: StepReport) => {
          if (!deps.nats.connected || publishFailed) return;
          const previous = publishing;
          publishing = (async () => {
            await previous;
            if (publishFailed) return;
            try {
              await deps.publisher.publish({
                editId,
                step: r.step,
                totalSteps: r.totalSteps,
                timestep: r.timestep,
                latent: { dtype: "float32", shape: imageLatent.shape, data: r.latent },
                schedulerState: r.schedulerState.history,
                seed: req.seed,
                traceContext,
              });
            } catch (err) {
              // Previews and checkpoints are best-effort: a NATS hiccup must not fail the edit,
              // and one failure stops this edit's publishing so later steps do not queue up.
              publishFailed = true;
              log.warn("latent publish failed; no more previews for this edit", { editId, step: r.step, error: String(err) });
            }
          })();
        };
        const traceContext = injectTraceHeaders();
        const latent = await stage.denoise(
          {
            imageLatent,
            textEmbedding,
            uncondEmbedding,
            taskEmbedding,
            steps: req.steps,
            guidanceScale: req.guidanceScale,
            imageGuidanceScale: req.imageGuidanceScale,
            seed: req.seed,
            ...(req.scheduler ? { scheduler: req.scheduler } : {}),
            ...(resume ? { resume } : {}),
            previewEvery: req.previewEvery,
          },
          { onStep, signal: ctx.signal },
        ).finally(() => publishing);
        // Every step is in JetStream before the reply: a client that reads the final checkpoint
        // after the call sees it.
        return { latent: tensorToProto(latent), steps: req.steps };
      } catch (err) {
        const g = toGrpcError(err, ctx.signal);
        if (g.code === GrpcStatus.INTERNAL) log.error("denoise failed", { error: g.message });
        throw g;
      }
    },
  };
}

/** The resume point of a request: explicit, from the JetStream checkpoint, or none. */
async function resumePoint(deps: DenoiserDeps, editId: string, req: DenoiseRequest): Promise<ResumeFrom | undefined> {
  const r = req.resume;
  if (!r) return undefined;
  if (r.fromCheckpoint) {
    const cp = await readCheckpoint(deps.js, editId);
    if (!cp) return undefined;
    if (cp.totalSteps !== req.steps || cp.seed !== req.seed) {
      throw invalidArgument(`checkpoint of ${editId} is for ${cp.totalSteps} steps / seed ${cp.seed}, request asks ${req.steps} / ${req.seed}`);
    }
    deps.log.info("resuming from checkpoint", { editId, step: cp.step });
    return { stepIndex: cp.step, latent: cp.latent.data as Float32Array, history: cp.schedulerState };
  }
  if (!r.latent) throw invalidArgument("resume.latent: required unless from_checkpoint is set");
  const latent = tensorFromProto(r.latent, { dtype: "float32", name: "resume.latent" });
  const history = r.schedulerState.map((t, i) => tensorFromProto(t, { dtype: "float32", name: `resume.scheduler_state[${i}]` }).data as Float32Array);
  return { stepIndex: r.stepIndex, latent: latent.data as Float32Array, history };
}
