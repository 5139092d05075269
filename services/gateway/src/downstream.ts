// The three model services as EditBackends: every call carries the edit's remaining deadline,
// a Denoise that loses its replica is retried once from the JetStream checkpoint, and a service
// that is down becomes UnavailableError (503 + Retry-After), never a hang.
import type { DenoiseParams, EditBackends, TextEncoding } from "@emuedit/pipeline";
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
import { trackPending } from "./metrics.js";
import { DeadlineError, RequestError, UnavailableError } from "./request-errors.js";

export interface DownstreamAddresses {
  readonly textEncoder: string;
  readonly vae: string;
  readonly unet: string;
}

export interface Downstream {
  /** Backends bound to one edit's deadline (absolute, ms since epoch). */
  backends(deadlineAt: number, previewEvery: number): EditBackends;
  /** Every model service answers SERVING within `deadlineMs`. */
  ready(deadlineMs: number): Promise<Record<string, string>>;
  close(): void;
}

/**
 * `decoderTakesSource`: the package's decoder reads the edit's source image, so Decode carries
 * it (other decoders ignore it, and it would only add an image's bytes to every Decode).
 */
export function createDownstream(
  addr: DownstreamAddresses,
  maxMessageBytes: number,
  retryAfterS: number,
  decoderTakesSource = false,
): Downstream {
  const channelOptions = {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.keepalive_time_ms": 30000,
    "grpc.keepalive_timeout_ms": 10000,
    // Reconnect quickly after a replica restarts instead of grpc-js's long default backoff.
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 1000,
  };
  const text = createClient(TextEncoderService, addr.textEncoder, { channelOptions });
  const vae = createClient(VaeService, addr.vae, { channelOptions });
  const unet = createClient(DenoiserService, addr.unet, { channelOptions });

  const remaining = (deadlineAt: number) => {
    const ms = deadlineAt - Date.now();
    if (ms <= 0) throw new DeadlineError("the edit's deadline passed");
    return ms;
  };
  const translate = (stage: string, err: unknown): Error => {
    if (!(err instanceof GrpcError)) return err instanceof Error ? err : new Error(String(err));
    switch (err.code) {
      case GrpcStatus.UNAVAILABLE:
      case GrpcStatus.RESOURCE_EXHAUSTED:
        return new UnavailableError(`${stage} service unavailable: ${err.details}`, retryAfterS, { cause: err });
      case GrpcStatus.DEADLINE_EXCEEDED:
        return new DeadlineError(`${stage} did not finish before the edit's deadline`, { cause: err });
      case GrpcStatus.INVALID_ARGUMENT:
      case GrpcStatus.FAILED_PRECONDITION:
        return new RequestError(400, "invalid_argument", `${stage}: ${err.details}`, undefined, { cause: err });
      case GrpcStatus.CANCELLED:
        return new RequestError(499, "cancelled", `${stage}: cancelled`, undefined, { cause: err });
      default:
        return new RequestError(502, "upstream_error", `${stage} failed: ${err.details}`, undefined, { cause: err });
    }
  };
  const call = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await trackPending(stage, fn);
    } catch (err) {
      throw translate(stage, err);
    }
  };

  return {
    backends(deadlineAt, previewEvery): EditBackends {
      return {
        encodeText: (texts, signal) =>
          call("text-encoder", async (): Promise<TextEncoding> => {
            const r = await text.encode({ texts: [...texts] }, { deadlineMs: remaining(deadlineAt), signal });
            if (!r.lastHiddenState) throw new RequestError(502, "upstream_error", "text-encoder replied without last_hidden_state");
            return {
              lastHiddenState: tensorFromProto(r.lastHiddenState, { dtype: "float32", name: "last_hidden_state" }),
              pooledOutput: r.pooledOutput ? tensorFromProto(r.pooledOutput, { name: "pooled_output" }) : null,
              taskLogits: r.taskLogits ? tensorFromProto(r.taskLogits, { dtype: "float32", name: "task_logits" }) : null,
            };
          }),
        encodeImage: (images, signal) =>
          call("vae", async () => {
            const r = await vae.encode({ images: tensorToProto(images) }, { deadlineMs: remaining(deadlineAt), signal });
            if (!r.latents) throw new RequestError(502, "upstream_error", "vae replied without latents");
            return tensorFromProto(r.latents, { dtype: "float32", name: "latents" });
          }),
        denoise: (editId, params, signal) => trackPending("unet", () => denoiseWithResume(unet, editId, params, previewEvery, deadlineAt, signal, remaining, translate)),
        decode: (latents, source, signal) =>
          call("vae", async () => {
            const r = await vae.decode(
              { latents: tensorToProto(latents), ...(decoderTakesSource ? { sourceImages: tensorToProto(source) } : {}) },
              { deadlineMs: remaining(deadlineAt), signal },
            );
            if (!r.images) throw new RequestError(502, "upstream_error", "vae replied without images");
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
            return [name, err instanceof GrpcError ? `UNREACHABLE (${GrpcStatus[err.code]})` : "UNREACHABLE"] as const;
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
  remaining: (deadlineAt: number) => number,
  translate: (stage: string, err: unknown) => Error,
): Promise<HostTensor> {
  const request = {
    editId,
    imageLatent: tensorToProto(p.imageLatent),
    textEmbeddings: tensorToProto(p.textEmbedding),
    uncondEmbeddings: tensorToProto(p.uncondEmbedding),
    ...(p.taskEmbedding ? { taskEmbedding: tensorToProto({ dtype: "float32", shape: [p.taskEmbedding.length], data: p.taskEmbedding }) } : {}),
    steps: p.steps,
    guidanceScale: p.guidanceScale,
    imageGuidanceScale: p.imageGuidanceScale,
    seed: p.seed,
    scheduler: p.scheduler ?? "",
    previewEvery,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await unet.denoise(
        attempt === 0 ? request : { ...request, resume: { fromCheckpoint: true } },
        { deadlineMs: remaining(deadlineAt), signal },
      );
      if (!r.latent) throw new RequestError(502, "upstream_error", "unet replied without latent");
      return tensorFromProto(r.latent, { dtype: "float32", name: "latent" });
    } catch (err) {
      const retryable = err instanceof GrpcError && err.code === GrpcStatus.UNAVAILABLE && attempt === 0 && !signal.aborted;
      if (!retryable) throw translate("unet", err);
    }
  }
}
