// The three model services as EditBackends: the gateway's gRPC client edge. Every call carries
// the edit's remaining deadline; a Denoise that loses its replica is retried once from the
// JetStream checkpoint; a failure is mapped once (fromDownstream) to what the edit's client
// should hear: a service down is 503 + Retry-After, never a hang.
import type { DenoiseParams, EditBackends, TextEncoding } from "@emuedit/edit-contract";
import { EmueditError, Status } from "@emuedit/errors";
import {
  checkHealth,
  createClient,
  DenoiserService,
  GrpcError,
  GrpcStatus,
  TextEncoderService,
  VaeService,
  type Client,
} from "@emuedit/proto";
import { tensorFromProto, tensorToProto, type HostTensor } from "@emuedit/tensors";
import { recordStageError, trackPending } from "./metrics.js";

export interface DownstreamAddresses {
  readonly textEncoder: string;
  readonly vae: string;
  readonly unet: string;
}

export interface Downstream {
  /**
   * Backends bound to one edit's deadline (absolute, ms since epoch). `resumeFromCheckpoint`:
   * the first Denoise already asks to continue from the edit's checkpoint.
   */
  backends(deadlineAt: number, previewEvery: number, resumeFromCheckpoint?: boolean): EditBackends;
  /** Every model service answers SERVING within `deadlineMs`. */
  ready(deadlineMs: number): Promise<Record<string, string>>;
  close(): void;
}

export interface DownstreamOptions {
  readonly maxMessageBytes: number;
  readonly retryAfterS: number;
  /**
   * The package's decoder reads the edit's source image, so Decode carries it (other decoders
   * ignore it, and it would only add an image's bytes to every Decode).
   */
  readonly decoderTakesSource: boolean;
}

const deadlinePassed = () => new EmueditError(Status.DeadlineExceeded, "the edit's deadline passed");

/** A model service's failure as the edit's client should hear it. */
function fromDownstream(stage: string, err: unknown, retryAfterS: number): EmueditError {
  if (err instanceof EmueditError && err.status === Status.DeadlineExceeded && !(err instanceof GrpcError)) return err; // our own deadline check
  if (!(err instanceof GrpcError)) {
    // Not a status from the wire: the reply itself could not be used.
    return new EmueditError(Status.Upstream, `${stage} replied with something unusable: ${err instanceof Error ? err.message : String(err)}`, { code: "upstream_error", cause: err });
  }
  switch (err.status) {
    case Status.Unavailable:
    case Status.ResourceExhausted:
      return new EmueditError(Status.Unavailable, `${stage} service unavailable: ${err.grpcDetails}`, { retryAfterS, cause: err });
    case Status.DeadlineExceeded:
      return new EmueditError(Status.DeadlineExceeded, `${stage} did not finish before the edit's deadline`, { cause: err });
    case Status.Cancelled:
      return new EmueditError(Status.Cancelled, `${stage}: cancelled`, { cause: err });
    case Status.InvalidArgument:
    case Status.Unprocessable:
      return new EmueditError(err.status, `${stage}: ${err.grpcDetails}`, { code: err.code, cause: err });
    default:
      return new EmueditError(Status.Upstream, `${stage} failed: ${err.grpcDetails}`, { code: "upstream_error", cause: err });
  }
}

export function createDownstream(addr: DownstreamAddresses, options: DownstreamOptions): Downstream {
  const channelOptions = {
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
    "grpc.keepalive_time_ms": 30000,
    "grpc.keepalive_timeout_ms": 10000,
    // Reconnect quickly after a replica restarts instead of grpc-js's long default backoff.
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 1000,
  };
  const text = createClient(TextEncoderService, addr.textEncoder, { channelOptions });
  const vae = createClient(VaeService, addr.vae, { channelOptions });
  const unet = createClient(DenoiserService, addr.unet, { channelOptions });

  /** One call to `stage`: the remaining deadline (checked first), then the call, mapped once on failure. */
  const call = <T>(stage: string, deadlineAt: number, fn: (deadlineMs: number) => Promise<T>): Promise<T> =>
    trackPending(stage, async () => {
      const deadlineMs = deadlineAt - Date.now();
      try {
        if (deadlineMs <= 0) throw deadlinePassed();
        return await fn(deadlineMs);
      } catch (err) {
        const mapped = fromDownstream(stage, err, options.retryAfterS);
        // A call cancelled because the edit's deadline passed is the deadline's failure (as the
        // edit's own outcome says, asDeadline in edit-service), not a cancellation by a client.
        recordStageError(stage, mapped.status === Status.Cancelled && Date.now() >= deadlineAt ? "deadline_exceeded" : mapped.code);
        throw mapped;
      }
    });

  return {
    backends(deadlineAt, previewEvery, resumeFromCheckpoint = false): EditBackends {
      return {
        encodeText: (texts, signal) =>
          call("text-encoder", deadlineAt, async (deadlineMs): Promise<TextEncoding> => {
            const r = await text.encode({ texts: [...texts] }, { deadlineMs, signal });
            if (!r.lastHiddenState) throw new Error("no last_hidden_state");
            return {
              lastHiddenState: tensorFromProto(r.lastHiddenState, { dtype: "float32", name: "last_hidden_state" }),
              pooledOutput: r.pooledOutput ? tensorFromProto(r.pooledOutput, { name: "pooled_output" }) : null,
              taskLogits: r.taskLogits ? tensorFromProto(r.taskLogits, { dtype: "float32", name: "task_logits" }) : null,
            };
          }),
        encodeImage: (images, signal) =>
          call("vae", deadlineAt, async (deadlineMs) => {
            const r = await vae.encode({ images: tensorToProto(images) }, { deadlineMs, signal });
            if (!r.latents) throw new Error("no latents");
            return tensorFromProto(r.latents, { dtype: "float32", name: "latents" });
          }),
        denoise: (editId, params, signal) => call("unet", deadlineAt, () => denoiseWithResume(unet, editId, params, previewEvery, deadlineAt, signal, resumeFromCheckpoint)),
        decode: (latents, source, signal) =>
          call("vae", deadlineAt, async (deadlineMs) => {
            const r = await vae.decode(
              { latents: tensorToProto(latents), ...(options.decoderTakesSource ? { sourceImages: tensorToProto(source) } : {}) },
              { deadlineMs, signal },
            );
            if (!r.images) throw new Error("no images");
            return tensorFromProto(r.images, { dtype: "uint8", name: "images" });
          }),
      };
    },
    async ready(deadlineMs) {
      const entries = await Promise.all(
        ([
          ["text-encoder", addr.textEncoder, TextEncoderService.typeName],
          ["vae", addr.vae, VaeService.typeName],
          ["unet", addr.unet, DenoiserService.typeName],
        ] as const).map(async ([name, address, service]) => {
          try {
            return [name, await checkHealth(address, service, deadlineMs)] as const;
          } catch (err) {
            return [name, err instanceof GrpcError ? `UNREACHABLE (${GrpcStatus[err.grpcCode]})` : "UNREACHABLE"] as const;
          }
        }),
      );
      return Object.fromEntries(entries);
    },
    close() {
      text.close();
      vae.close();
      unet.close();
    },
  };
}

/**
 * Denoise; when the replica goes away mid-edit (UNAVAILABLE), ask again with from_checkpoint so
 * the next replica continues from the newest JetStream latent instead of starting over.
 */
async function denoiseWithResume(
  unet: Client<typeof DenoiserService>,
  editId: string,
  p: DenoiseParams,
  previewEvery: number,
  deadlineAt: number,
  signal: AbortSignal,
  resumeFirst: boolean,
): Promise<HostTensor> {
  const { sampling } = p;
  const request = {
    editId,
    imageLatent: tensorToProto(p.imageLatent),
    textEmbeddings: tensorToProto(p.textEmbedding),
    uncondEmbeddings: tensorToProto(p.uncondEmbedding),
    ...(p.taskEmbedding ? { taskEmbedding: tensorToProto({ dtype: "float32", shape: [p.taskEmbedding.length], data: p.taskEmbedding }) } : {}),
    steps: sampling.steps,
    guidanceScale: sampling.guidanceScale,
    imageGuidanceScale: sampling.imageGuidanceScale,
    seed: sampling.seed,
    scheduler: sampling.scheduler ?? "",
    previewEvery,
  };
  for (let attempt = 0; ; attempt++) {
    const deadlineMs = deadlineAt - Date.now();
    if (deadlineMs <= 0) throw deadlinePassed();
    try {
      const resume = resumeFirst || attempt > 0;
      const r = await unet.denoise(resume ? { ...request, resume: { fromCheckpoint: true } } : request, { deadlineMs, signal });
      if (!r.latent) throw new Error("no latent");
      return tensorFromProto(r.latent, { dtype: "float32", name: "latent" });
    } catch (err) {
      const retryable = err instanceof GrpcError && err.grpcCode === GrpcStatus.UNAVAILABLE && attempt === 0 && !signal.aborted;
      if (!retryable) throw err;
    }
  }
}
