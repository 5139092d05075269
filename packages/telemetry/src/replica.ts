// Names the replica that served a span (host name + port), so a slow span in a trace points at
// one pod, and traces can be filtered by replica in Tempo or Jaeger.
import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";

export const REPLICA_ATTRIBUTE = "emuedit.replica";

export class ReplicaSpanProcessor implements SpanProcessor {
  constructor(private readonly replica: string) {}
  onStart(span: Span, _parentContext: Context): void {
    span.setAttribute(REPLICA_ATTRIBUTE, this.replica);
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
