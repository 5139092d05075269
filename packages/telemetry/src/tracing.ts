// Span and trace-context helpers. They use the global OpenTelemetry API, so they are safe to
// call without startTelemetry (spans are then non-recording and nothing is injected).
import { context, propagation, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";

const TRACER_NAME = "emuedit";

/** An opaque trace context (an OpenTelemetry Context), from extractTraceContext. */
export type TraceContext = Context;

export type SpanAttributes = Record<string, string | number | boolean | string[] | number[]>;

/** The part of a span that handlers may touch. */
export interface SpanHandle {
  setAttribute(key: string, value: string | number | boolean): void;
  setAttributes(attributes: SpanAttributes): void;
  addEvent(name: string, attributes?: SpanAttributes): void;
  /** 32 hex chars; all zeros when tracing is off. */
  readonly traceId: string;
  readonly spanId: string;
}

function handle(span: Span): SpanHandle {
  return {
    setAttribute: (k, v) => void span.setAttribute(k, v),
    setAttributes: (a) => void span.setAttributes(a as Attributes),
    addEvent: (n, a) => void span.addEvent(n, a as Attributes | undefined),
    get traceId() {
      return span.spanContext().traceId;
    },
    get spanId() {
      return span.spanContext().spanId;
    },
  };
}

/**
 * Runs fn inside a new active span (a child of the current context). A rejection is recorded as
 * an exception event, sets status ERROR, and is rethrown; success sets status OK.
 */
export function withSpan<T>(name: string, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T> | T): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes: attributes as Attributes }, async (span) => {
    try {
      const result = await fn(handle(span));
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** W3C `traceparent` (+ `tracestate`, baggage) of the active span, for NATS message headers. */
export function injectTraceHeaders(ctx: TraceContext = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Header lookup: a plain record, or anything with get(name) (NATS MsgHdrs, grpc Metadata-like). */
export type HeaderSource = Record<string, string | undefined> | { get(name: string): string | string[] | undefined | unknown };

/** The remote trace context carried by headers; use with withContext. */
export function extractTraceContext(headers: HeaderSource): TraceContext {
  const lookup = (key: string): string | undefined => {
    const getter = (headers as { get?: unknown }).get;
    const raw: unknown = typeof getter === "function" ? (headers as { get(k: string): unknown }).get(key) : (headers as Record<string, unknown>)[key];
    const value = Array.isArray(raw) ? raw[0] : raw;
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  return propagation.extract(context.active(), headers, {
    get: (_carrier, key) => lookup(key),
    keys: (carrier) => (typeof (carrier as { get?: unknown }).get === "function" ? [] : Object.keys(carrier)),
  });
}

/** Runs fn with ctx as the active context (spans started inside become its children). */
export function withContext<T>(ctx: TraceContext, fn: () => T): T {
  return context.with(ctx, fn);
}

/** Trace id of the active span, for log correlation; undefined outside a sampled span. */
export function currentTraceId(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

/**
 * The active span (e.g. a gRPC or HTTP server span the instrumentation started), for attributes
 * known only inside a handler; undefined when no recording span is active.
 */
export function activeSpan(): SpanHandle | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? handle(span) : undefined;
}
