// The three model services as EditBackends: the gateway's gRPC client edge. Each stage is one
// round_robin channel over its replicas (replica-target.ts in @emuedit/proto resolves the
// address setting, again every EMUEDIT_RESOLVE_INTERVAL_MS). Every call carries the edit's
// remaining deadline; with EMUEDIT_COLD_START_WAIT_MS > 0 a call to a stage with no ready
// replica waits for one first (scale from zero); a Denoise that loses its replica is retried
// once from the JetStream checkpoint; a failure is mapped once (fromDownstream) to what the
// edit's client should hear: a service down is 503 + Retry-After, never a hang.
import type { DenoiseParams, EditBackends, TextEncoding } from "@emuedit/edit-contract";
import { EmueditError, Status } from "@emuedit/errors";
import {
  checkHealth,
  createClient,
  DenoiserService,
  GrpcError,
  GrpcStatus,
  parseReplicaAddress,
  replicaTarget,
  resolveReplicas,
  RESOLVE_INTERVAL_OPTION,
  TextEncoderService,
  VaeService,
  type Client,
  type HealthCheckStatus,
  type ReplicaAddress,
} from "@emuedit/proto";
import type { ChannelOptions } from "@grpc/grpc-js";
import { tensorFromProto, tensorToProto, type HostTensor } from "@emuedit/tensors";
import { withSpan } from "@emuedit/telemetry";
import { recordColdStartWait, recordStageError, trackInFlight, trackWaiting, zeroStageGauges } from "./metrics.js";

export type StageName = "text-encoder" | "vae" | "unet";
export const STAGES: readonly StageName[] = ["text-encoder", "vae", "unet"];

/** Each stage's address setting: host:port, a comma-separated list, or dns:///name:port. */
export type DownstreamAddresses = Readonly<Record<StageName, string>>;

/** What the backends of one edit are bound to. */
export interface EditCalls {
  /** The edit's deadline, absolute (ms since epoch). */
  readonly deadlineAt: number;
  readonly previewEvery: number;
  /** Called after the edit waited for a ready replica of `stage` (scale from zero). */
  readonly onColdStart?: (stage: StageName, waitedMs: number) => void;
  /** The first Denoise already continues from the edit's checkpoint (an async job taken over after its gateway died). */
  readonly resumeFromCheckpoint?: boolean;
}

/** One stage as /readyz reports it. */
export interface StageHealth {
  /**
   * SERVING when at least one replica is and the stage's channel is connected; CONNECTING while
   * it is not yet; else the first replica's status, or NO_REPLICAS / UNRESOLVED.
   */
  readonly status: string;
  readonly serving: number;
  readonly replicas: number;
}

export interface Downstream {
  backends(edit: EditCalls): EditBackends;
  /** Health-checks every replica of every stage, each within `deadlineMs`. */
  ready(deadlineMs: number): Promise<Record<StageName, StageHealth>>;
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
  /** How long a call waits for a stage with no ready replica (0: it fails at once, as grpc-js does). */
  readonly coldStartWaitMs: number;
  /** How often each address is looked up again (a replica added later gets work). */
  readonly resolveIntervalMs: number;
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

/** The replica that ran a Denoise went away mid-call: another can resume from the checkpoint. */
function lostReplica(err: unknown): boolean {
  return err instanceof EmueditError && err.cause instanceof GrpcError && err.cause.grpcCode === GrpcStatus.UNAVAILABLE;
}

/**
 * The longest pause between a channel's connection attempts. round_robin keeps trying a replica
 * that went away, so one that has just come back may wait this long for the next attempt.
 */
const RECONNECT_BACKOFF_MAX_MS = 1000;

/** One stage's channel: round_robin over its replicas, re-resolved every resolveIntervalMs. */
export function stageChannelOptions(options: Pick<DownstreamOptions, "maxMessageBytes" | "resolveIntervalMs">): ChannelOptions {
  return {
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
    "grpc.keepalive_time_ms": 30000,
    "grpc.keepalive_timeout_ms": 10000,
    // Reconnect quickly after a replica restarts instead of grpc-js's long default backoff.
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": RECONNECT_BACKOFF_MAX_MS,
    // Spread calls over every ready replica (grpc-js's default, pick_first, would use one).
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    [RESOLVE_INTERVAL_OPTION]: options.resolveIntervalMs,
  };
}

export function createDownstream(addr: DownstreamAddresses, options: DownstreamOptions): Downstream {
  const channelOptions = stageChannelOptions(options);
  const parsed = Object.fromEntries(STAGES.map((s) => [s, parseReplicaAddress(addr[s])])) as Record<StageName, ReplicaAddress>;
  const target = (stage: StageName) => replicaTarget(parsed[stage]);
  const text = createClient(TextEncoderService, target("text-encoder"), { channelOptions });
  const vae = createClient(VaeService, target("vae"), { channelOptions });
  const unet = createClient(DenoiserService, target("unet"), { channelOptions });
  const clients: Record<StageName, Client<typeof TextEncoderService> | Client<typeof VaeService> | Client<typeof DenoiserService>> = {
    "text-encoder": text,
    vae,
    unet,
  };
  // Connect now rather than on the first edit, which would otherwise wait for the handshakes.
  for (const stage of STAGES) clients[stage].isReady();
  zeroStageGauges(STAGES);

  /**
   * Scale from zero: a stage with no ready replica holds the call until one is ready, at most
   * coldStartWaitMs and never past the edit's deadline (then 503 or 504). A stage with a ready
   * replica passes at once. With coldStartWaitMs 0 the call waits at most one reconnect backoff
   * (a replica that has just restarted is not a 503), then goes out and grpc-js fails it as it
   * always did (UNAVAILABLE -> 503).
   */
  const replicaReady = async (stage: StageName, edit: EditCalls, signal: AbortSignal): Promise<void> => {
    const client = clients[stage];
    if (client.isReady()) return;
    const remainingMs = edit.deadlineAt - Date.now();
    if (remainingMs <= 0) throw deadlinePassed();
    const coldStart = options.coldStartWaitMs > 0;
    const limitMs = Math.min(coldStart ? options.coldStartWaitMs : RECONNECT_BACKOFF_MAX_MS, remainingMs);
    const started = performance.now();
    await withSpan("emuedit.cold_start_wait", { "emuedit.stage": stage, "emuedit.cold_start_wait_limit_ms": limitMs }, (span) =>
      trackWaiting(stage, async () => {
        try {
          await untilAborted(client.waitForReady(limitMs), signal);
        } catch (err) {
          const deadlineOver = Date.now() >= edit.deadlineAt;
          // The client went away (the edit's edge maps that); the edit's own deadline is ours to name.
          if (signal.aborted && !deadlineOver) throw err;
          if (!coldStart && !deadlineOver) return;
          const waited = Math.round(performance.now() - started);
          if (deadlineOver || limitMs < options.coldStartWaitMs) {
            throw new EmueditError(Status.DeadlineExceeded, `the edit's deadline passed while it waited ${waited} ms for a ready ${stage} replica`, { cause: err });
          }
          throw new EmueditError(Status.Unavailable, `${stage} had no ready replica for ${options.coldStartWaitMs} ms (EMUEDIT_COLD_START_WAIT_MS)`, {
            retryAfterS: options.retryAfterS,
            cause: err,
          });
        } finally {
          const waitedMs = performance.now() - started;
          span.setAttribute("emuedit.cold_start_wait_ms", Math.round(waitedMs));
          recordColdStartWait(stage, waitedMs);
          edit.onColdStart?.(stage, waitedMs);
        }
      }),
    );
  };

  /** One call to `stage`: a ready replica (see replicaReady), the remaining deadline, then the call, mapped once on failure. */
  const call = async <T>(stage: StageName, edit: EditCalls, signal: AbortSignal, fn: (deadlineMs: number) => Promise<T>): Promise<T> => {
    await replicaReady(stage, edit, signal);
    return trackInFlight(stage, async () => {
      const deadlineMs = edit.deadlineAt - Date.now();
      try {
        if (deadlineMs <= 0) throw deadlinePassed();
        return await fn(deadlineMs);
      } catch (err) {
        const mapped = fromDownstream(stage, err, options.retryAfterS);
        // A call cancelled because the edit's deadline passed is the deadline's failure (as the
        // edit's own outcome says, asDeadline in edit-service), not a cancellation by a client.
        recordStageError(stage, mapped.status === Status.Cancelled && Date.now() >= edit.deadlineAt ? "deadline_exceeded" : mapped.code);
        throw mapped;
      }
    });
  };

  return {
    backends(edit): EditBackends {
      return {
        encodeText: (texts, signal) =>
          call("text-encoder", edit, signal, async (deadlineMs): Promise<TextEncoding> => {
            const r = await text.encode({ texts: [...texts] }, { deadlineMs, signal });
            if (!r.lastHiddenState) throw new Error("no last_hidden_state");
            return {
              lastHiddenState: tensorFromProto(r.lastHiddenState, { dtype: "float32", name: "last_hidden_state" }),
              pooledOutput: r.pooledOutput ? tensorFromProto(r.pooledOutput, { name: "pooled_output" }) : null,
              taskLogits: r.taskLogits ? tensorFromProto(r.taskLogits, { dtype: "float32", name: "task_logits" }) : null,
            };
          }),
        encodeImage: (images, signal) =>
          call("vae", edit, signal, async (deadlineMs) => {
            const r = await vae.encode({ images: tensorToProto(images) }, { deadlineMs, signal });
            if (!r.latents) throw new Error("no latents");
            return tensorFromProto(r.latents, { dtype: "float32", name: "latents" });
          }),
        // When the replica goes away mid-edit (UNAVAILABLE), ask again with from_checkpoint so the
        // next replica continues from the newest JetStream latent instead of starting over.
        denoise: async (editId, params, signal) => {
          const attempt = (resume: boolean) =>
            call("unet", edit, signal, (deadlineMs) => denoiseOnce(unet, editId, params, edit.previewEvery, resume, deadlineMs, signal));
          const resumeFirst = edit.resumeFromCheckpoint ?? false;
          try {
            return await attempt(resumeFirst);
          } catch (err) {
            if (!lostReplica(err) || signal.aborted) throw err;
            return attempt(true);
          }
        },
        decode: (latents, source, signal) =>
          call("vae", edit, signal, async (deadlineMs) => {
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
      const services: Record<StageName, string> = {
        "text-encoder": TextEncoderService.typeName,
        vae: VaeService.typeName,
        unet: DenoiserService.typeName,
      };
      const entries = await Promise.all(
        STAGES.map(async (stage) => {
          const health = await stageHealth(parsed[stage], services[stage], deadlineMs);
          // SERVING replicas the edits' channel has not connected to yet (it may be in its reconnect
          // backoff after they started) would fail a call made now: not ready until it has.
          return [stage, health.status === "SERVING" && !clients[stage].isReady() ? { ...health, status: "CONNECTING" } : health] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<StageName, StageHealth>;
    },
    close() {
      text.close();
      vae.close();
      unet.close();
    },
  };
}

/** Every replica of one stage health-checked: SERVING when at least one is. */
async function stageHealth(address: ReplicaAddress, service: string, deadlineMs: number): Promise<StageHealth> {
  let replicas;
  try {
    replicas = await resolveReplicas(address);
  } catch {
    return { status: "UNRESOLVED", serving: 0, replicas: 0 };
  }
  if (replicas.length === 0) return { status: "NO_REPLICAS", serving: 0, replicas: 0 };
  const statuses = await Promise.all(
    replicas.map(async ({ host, port }): Promise<HealthCheckStatus | string> => {
      try {
        return await checkHealth(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`, service, deadlineMs);
      } catch (err) {
        return err instanceof GrpcError ? `UNREACHABLE (${GrpcStatus[err.grpcCode]})` : "UNREACHABLE";
      }
    }),
  );
  const serving = statuses.filter((s) => s === "SERVING").length;
  return { status: serving > 0 ? "SERVING" : statuses[0]!, serving, replicas: replicas.length };
}

/** `promise`, or the signal's reason as soon as it aborts (grpc-js's waitForReady cannot be cancelled). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** One Denoise call; `resume` continues from the edit's newest checkpoint in JetStream. */
async function denoiseOnce(
  unet: Client<typeof DenoiserService>,
  editId: string,
  p: DenoiseParams,
  previewEvery: number,
  resume: boolean,
  deadlineMs: number,
  signal: AbortSignal,
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
    ...(resume ? { resume: { fromCheckpoint: true } } : {}),
  };
  const r = await unet.denoise(request, { deadlineMs, signal });
  if (!r.latent) throw new Error("no latent");
  return tensorFromProto(r.latent, { dtype: "float32", name: "latent" });
}
