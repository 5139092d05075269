// The only hand-written gRPC glue: grpc-js method definitions derived from protobuf-es service
// descriptors (toBinary/fromBinary as the (de)serializers), plus typed server and client
// wrappers with deadlines, cancellation and status errors. Nothing here is per-method.
import { once } from "node:events";
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Client as GrpcClient,
  connectivityState,
  credentials as grpcCredentials,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type MethodDefinition,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { EmueditError, Status } from "@emuedit/errors";
import { cancelled, deadlineExceeded, fromServiceError, GrpcError, GrpcStatus, toStatusObject } from "./errors.js";
import { grpcChannelOptions } from "./grpc-options.js";

type AnyMessage = MessageShape<DescMessage>;
type Unary<I extends DescMessage, O extends DescMessage> = { methodKind: "unary"; input: I; output: O };
type ServerStreaming<I extends DescMessage, O extends DescMessage> = { methodKind: "server_streaming"; input: I; output: O };

/** What a handler gets besides the request. */
export interface CallContext {
  /** Aborted when the client cancels or the deadline passes; reason is a GrpcError (CANCELLED / DEADLINE_EXCEEDED). */
  signal: AbortSignal;
  deadline: Date | undefined;
  metadata: Metadata;
  peer: string;
}

/** Handlers keyed by the methods' localName (`encode`, `denoise`, `editStream`, ...). */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends Unary<infer I, infer O>
    ? (request: MessageShape<I>, ctx: CallContext) => Promise<MessageInitShape<O>>
    : S["method"][K] extends ServerStreaming<infer I, infer O>
      ? (request: MessageShape<I>, ctx: CallContext) => AsyncIterable<MessageInitShape<O>>
      : never;
};

export interface CallOptions {
  /** Required, relative to now: every call has a deadline. */
  deadlineMs: number;
  signal?: AbortSignal;
  metadata?: Metadata;
}

export type Client<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends Unary<infer I, infer O>
    ? (request: MessageInitShape<I>, opts: CallOptions) => Promise<MessageShape<O>>
    : S["method"][K] extends ServerStreaming<infer I, infer O>
      ? (request: MessageInitShape<I>, opts: CallOptions) => AsyncIterable<MessageShape<O>>
      : never;
} & {
  close(): void;
  /** Resolves once the channel is connected; rejects with UNAVAILABLE after deadlineMs. */
  waitForReady(deadlineMs: number): Promise<void>;
  /** Whether the channel holds a connection now (for round_robin: at least one replica); an idle channel starts connecting. */
  isReady(): boolean;
};

export interface ClientOptions {
  /** Defaults to grpcChannelOptions() (same message-size and keepalive limits as our servers). */
  channelOptions?: ChannelOptions;
  /** Defaults to insecure (plaintext inside the cluster). */
  credentials?: ChannelCredentials;
}

/** A Uint8Array view of a Buffer (no copy), so `bytes` fields decode as plain Uint8Arrays. */
function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * A request whose bytes are not its message. grpc-js answers a throwing deserializer with
 * INTERNAL; the client sent bad bytes, so the handler wrapper answers INVALID_ARGUMENT instead.
 */
class UndecodableRequest {
  constructor(readonly cause: unknown) {}
}

function decodeRequest(method: DescMethod, request: AnyMessage | UndecodableRequest): AnyMessage {
  if (!(request instanceof UndecodableRequest)) return request;
  const why = request.cause instanceof Error ? request.cause.message : String(request.cause);
  throw new EmueditError(Status.InvalidArgument, `the request is not a valid ${method.input.typeName} message: ${why}`, { code: "invalid_body", cause: request.cause });
}

function methodDefinition(method: DescMethod): MethodDefinition<AnyMessage, AnyMessage> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.name,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (value) => Buffer.from(toBinary(method.input, value)),
    requestDeserialize: (bytes) => {
      try {
        return fromBinary(method.input, plainBytes(bytes));
      } catch (err) {
        return new UndecodableRequest(err) as unknown as AnyMessage;
      }
    },
    responseSerialize: (value) => Buffer.from(toBinary(method.output, value)),
    responseDeserialize: (bytes) => fromBinary(method.output, plainBytes(bytes)),
  };
}

/** grpc-js definition of every method of `service`, keyed by localName. */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  return Object.fromEntries(service.methods.map((method) => [method.localName, methodDefinition(method)]));
}

function unsupported(method: DescMethod): Error {
  return new Error(`${method.parent.typeName}.${method.name}: ${method.methodKind} methods are not supported`);
}

// ---- server ----

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Abort plumbing for one call; dispose() once the handler is done. */
function callContext(call: ServerUnaryCall<AnyMessage, AnyMessage> | ServerWritableStream<AnyMessage, AnyMessage>) {
  const controller = new AbortController();
  const rawDeadline = call.getDeadline();
  const deadlineMsEpoch = rawDeadline instanceof Date ? rawDeadline.getTime() : rawDeadline;
  const deadline = Number.isFinite(deadlineMsEpoch) ? new Date(deadlineMsEpoch) : undefined;
  // A client whose deadline passed cancels the stream itself, usually before our timer fires.
  const onCancel = () =>
    controller.abort(
      Date.now() >= deadlineMsEpoch ? deadlineExceeded("deadline exceeded") : cancelled("call cancelled by the client"),
    );
  call.on("cancelled", onCancel);
  const remainingMs = Math.max(0, deadlineMsEpoch - Date.now());
  // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days); such deadlines never matter.
  const timer =
    remainingMs <= MAX_TIMER_MS
      ? setTimeout(() => controller.abort(deadlineExceeded("deadline exceeded")), remainingMs)
      : undefined;
  if (call.cancelled) onCancel();
  const context: CallContext = { signal: controller.signal, deadline, metadata: call.metadata, peer: call.getPeer() };
  const dispose = () => {
    clearTimeout(timer);
    call.removeListener("cancelled", onCancel);
  };
  return { context, dispose };
}

type AnyUnaryImpl = (request: AnyMessage, ctx: CallContext) => Promise<MessageInitShape<DescMessage>>;
type AnyStreamImpl = (request: AnyMessage, ctx: CallContext) => AsyncIterable<MessageInitShape<DescMessage>>;

function unaryHandler(method: DescMethod, impl: AnyUnaryImpl) {
  return (call: ServerUnaryCall<AnyMessage, AnyMessage>, callback: sendUnaryData<AnyMessage>) => {
    const { context, dispose } = callContext(call);
    // The async wrapper turns a synchronous throw into a rejection: a handler never crashes the process.
    (async () => create(method.output, await impl(decodeRequest(method, call.request), context)))()
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toStatusObject(err, context.signal)),
      )
      .finally(dispose);
  };
}

function serverStreamingHandler(method: DescMethod, impl: AnyStreamImpl) {
  return (call: ServerWritableStream<AnyMessage, AnyMessage>) => {
    const { context, dispose } = callContext(call);
    const { signal } = context;
    (async () => {
      for await (const item of impl(decodeRequest(method, call.request), context)) {
        if (signal.aborted) return; // leaving the loop runs the handler's finally blocks
        if (!call.write(create(method.output, item))) {
          await once(call, "drain", { signal }).catch(() => undefined); // backpressure, or aborted
        }
      }
    })()
      .then(
        () => {
          if (!signal.aborted) call.end();
        },
        (err: unknown) => {
          // grpc-js turns an 'error' event on the call into the status it sends.
          if (!signal.aborted) call.emit("error", toStatusObject(err, signal));
        },
      )
      .finally(dispose);
  };
}

/** Registers `impl` for every method of `service` on `server`. */
export function addService<S extends DescService>(server: Server, service: S, impl: ServiceImpl<S>): void {
  const handlers: Record<string, unknown> = {};
  const fns = impl as Record<string, unknown>;
  for (const method of service.methods) {
    const fn = fns[method.localName];
    if (typeof fn !== "function") throw new Error(`${service.typeName}: no handler for ${method.localName}`);
    const bound = fn.bind(impl);
    if (method.methodKind === "unary") handlers[method.localName] = unaryHandler(method, bound);
    else if (method.methodKind === "server_streaming") handlers[method.localName] = serverStreamingHandler(method, bound);
    else throw unsupported(method);
  }
  server.addService(grpcServiceDefinition(service), handlers as Parameters<Server["addService"]>[1]);
}

// ---- client ----

function checkDeadline(deadlineMs: number): number {
  if (!(deadlineMs > 0) || !Number.isFinite(deadlineMs)) {
    throw new TypeError(`deadlineMs must be a positive finite number of milliseconds, got ${deadlineMs}`);
  }
  return Date.now() + deadlineMs;
}

const abortedBeforeStart = () => new GrpcError(GrpcStatus.CANCELLED, "call aborted before it started");

/** A typed client for `service` at `address` ("host:port", or any grpc-js target such as replicaTarget()'s). */
export function createClient<S extends DescService>(service: S, address: string, options: ClientOptions = {}): Client<S> {
  const client = new GrpcClient(
    address,
    options.credentials ?? grpcCredentials.createInsecure(),
    options.channelOptions ?? grpcChannelOptions(),
  );
  const methods: Record<string, unknown> = {
    close: () => client.close(),
    isReady: () => client.getChannel().getConnectivityState(true) === connectivityState.READY,
    waitForReady: (deadlineMs: number) =>
      new Promise<void>((resolve, reject) => {
        client.waitForReady(checkDeadline(deadlineMs), (err) => {
          if (err) reject(new GrpcError(GrpcStatus.UNAVAILABLE, `${address}: ${err.message}`, { cause: err }));
          else resolve();
        });
      }),
  };
  for (const method of service.methods) {
    const def = methodDefinition(method);
    if (method.methodKind === "unary") {
      methods[method.localName] = (request: MessageInitShape<DescMessage>, opts: CallOptions) =>
        new Promise<AnyMessage>((resolve, reject) => {
          const deadline = checkDeadline(opts.deadlineMs);
          if (opts.signal?.aborted) return reject(abortedBeforeStart());
          const onAbort = () => call.cancel();
          const call = client.makeUnaryRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            create(method.input, request),
            opts.metadata ?? new Metadata(),
            { deadline },
            (err, value) => {
              opts.signal?.removeEventListener("abort", onAbort);
              if (err || value === undefined) reject(fromServiceError(err));
              else resolve(value);
            },
          );
          opts.signal?.addEventListener("abort", onAbort, { once: true });
        });
    } else if (method.methodKind === "server_streaming") {
      methods[method.localName] = (request: MessageInitShape<DescMessage>, opts: CallOptions) => {
        // The deadline counts from this call; the RPC itself starts on the first next().
        const deadline = checkDeadline(opts.deadlineMs);
        const message = create(method.input, request);
        return (async function* () {
          if (opts.signal?.aborted) throw abortedBeforeStart();
          const call = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, message, opts.metadata ?? new Metadata(), { deadline });
          const onAbort = () => call.cancel();
          opts.signal?.addEventListener("abort", onAbort, { once: true });
          try {
            for await (const item of call) yield item as AnyMessage;
          } catch (err) {
            throw fromServiceError(err);
          } finally {
            opts.signal?.removeEventListener("abort", onAbort);
            call.cancel(); // no-op after a clean end; stops the server when the consumer breaks early
          }
        })();
      };
    } else {
      throw unsupported(method);
    }
  }
  return methods as Client<S>;
}
