// Public surface of @emuedit/proto: the generated messages and services of proto/ (the wire
// contract) and the grpc-js adapter. `toBinary`, `fromBinary`, `toJson`... come from
// @bufbuild/protobuf directly; `create` is re-exported for convenience.

export { create } from "@bufbuild/protobuf";

export { DType, DTypeSchema, TensorSchema, file_emuedit_v1_tensor } from "./gen/emuedit/v1/tensor_pb.js";
export type { Tensor } from "./gen/emuedit/v1/tensor_pb.js";

export {
  DenoiserService,
  DenoiseRequestSchema,
  DenoiseResponseSchema,
  ResumePointSchema,
  file_emuedit_v1_denoiser,
} from "./gen/emuedit/v1/denoiser_pb.js";
export type { DenoiseRequest, DenoiseResponse, ResumePoint } from "./gen/emuedit/v1/denoiser_pb.js";

export {
  TextEncoderService,
  TextEncoderServiceEncodeRequestSchema,
  TextEncoderServiceEncodeResponseSchema,
  file_emuedit_v1_text_encoder,
} from "./gen/emuedit/v1/text_encoder_pb.js";
export type {
  TextEncoderServiceEncodeRequest,
  TextEncoderServiceEncodeResponse,
} from "./gen/emuedit/v1/text_encoder_pb.js";

export {
  VaeService,
  VaeServiceEncodeRequestSchema,
  VaeServiceEncodeResponseSchema,
  VaeServiceDecodeRequestSchema,
  VaeServiceDecodeResponseSchema,
  file_emuedit_v1_vae,
} from "./gen/emuedit/v1/vae_pb.js";
export type {
  VaeServiceEncodeRequest,
  VaeServiceEncodeResponse,
  VaeServiceDecodeRequest,
  VaeServiceDecodeResponse,
} from "./gen/emuedit/v1/vae_pb.js";

export {
  EditorService,
  EditRequestSchema,
  EditResponseSchema,
  EditStreamRequestSchema,
  EditStreamResponseSchema,
  EditProgressSchema,
  StageTimingSchema,
  ListTasksRequestSchema,
  ListTasksResponseSchema,
  TaskInfoSchema,
  file_emuedit_v1_editor,
} from "./gen/emuedit/v1/editor_pb.js";
export type {
  EditRequest,
  EditResponse,
  EditStreamRequest,
  EditStreamResponse,
  EditProgress,
  StageTiming,
  ListTasksRequest,
  ListTasksResponse,
  TaskInfo,
} from "./gen/emuedit/v1/editor_pb.js";

export {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatusSchema,
  file_grpc_health_v1_health,
} from "./gen/grpc/health/v1/health_pb.js";
export type { HealthCheckRequest, HealthCheckResponse } from "./gen/grpc/health/v1/health_pb.js";

export { grpcServiceDefinition, addService, createClient } from "./grpc-adapter.js";
export type { CallContext, CallOptions, Client, ClientOptions, ServiceImpl } from "./grpc-adapter.js";
export { GrpcError, GrpcStatus, ERROR_CODE_METADATA } from "./errors.js";
export {
  grpcChannelOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_KEEPALIVE_TIME_MS,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
} from "./grpc-options.js";
export type { GrpcLimits } from "./grpc-options.js";
export { createHealthService, checkHealth } from "./health.js";
export { parseReplicaAddress, replicaTarget, resolveReplicas, RESOLVE_INTERVAL_OPTION } from "./replica-target.js";
export type { HostPort, ReplicaAddress } from "./replica-target.js";
export type { HealthService, HealthStatus, HealthCheckStatus } from "./health.js";
