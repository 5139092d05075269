// Channel/server options with units in their names, mapped onto grpc-js's option keys.
import type { ChannelOptions } from "@grpc/grpc-js";

export interface GrpcLimits {
  /** Largest message sent or received, bytes. grpc-js defaults to 4 MiB receive, which a
   *  1024x1024 RGB uint8 tensor (3 MiB) plus an encoded upload would exceed. */
  maxMessageBytes?: number;
  /** Interval between HTTP/2 keepalive pings, ms. */
  keepaliveTimeMs?: number;
  /** How long to wait for a ping ack before closing the connection, ms. */
  keepaliveTimeoutMs?: number;
  /** Ping even when no call is in flight (keeps idle internal connections known-good). */
  keepalivePermitWithoutCalls?: boolean;
}

/** 32 MiB: a 2048x2048 RGB uint8 image tensor is 12 MiB; [1,4,256,256] float32 latents 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_KEEPALIVE_TIME_MS = 30_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;

/** Options for both `new grpc.Server(...)` and clients; unset fields take the defaults above. */
export function grpcChannelOptions(limits: GrpcLimits = {}): ChannelOptions {
  const maxMessageBytes = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  return {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.keepalive_time_ms": limits.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS,
    "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
    "grpc.keepalive_permit_without_calls": (limits.keepalivePermitWithoutCalls ?? true) ? 1 : 0,
  };
}
