import {
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { randomTraceIds } from "./ids.js";

export { SpanKind };

/** The tracer of the saga's own spans: the outbox relay's publishes, the consumers' messages and transactions. */
const sagaTracer = () => trace.getTracer("@saga/platform");

/** The W3C trace headers (`traceparent`, `tracestate`) of `ctx`: none when it has no trace. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

type Headers = Record<string, string | Buffer | (string | Buffer)[] | undefined>;

/** Kafka headers arrive as Buffers; stored outbox headers as strings. */
const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** The context a message's headers carry, or none. */
export function contextFrom(headers: Headers | null | undefined): Context | undefined {
  if (!headers) return undefined;
  const ctx = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

/**
 * The context `headers` carry, or a new trace's for a request or message that came without one:
 * where no span is made (no exporter), its trace id still names it in the logs and the histories.
 * The new trace is not sampled: nothing of it is recorded.
 */
export function carriedOrNewTrace(headers: Headers | null | undefined): Context {
  return (
    contextFrom(headers) ?? trace.setSpanContext(ROOT_CONTEXT, { ...randomTraceIds(), traceFlags: TraceFlags.NONE })
  );
}

/** Runs `fn` in the trace `headers` carry: its log lines carry that trace id. */
export function inTraceOf<R>(headers: Headers | null | undefined, fn: () => R): R {
  const ctx = contextFrom(headers);
  return ctx ? context.with(ctx, fn) : fn();
}

/** The trace id of the active span (or of `ctx`'s), for logs and a booking's history. */
export function traceIdOf(ctx: Context = context.active()): string | null {
  return trace.getSpanContext(ctx)?.traceId ?? null;
}

/** Pino's mixin: every log line written in a request's or a message's span carries its trace id. */
export function traceLogFields(): { trace_id?: string } {
  const id = traceIdOf();
  return id ? { trace_id: id } : {};
}

/** A span started in `parent` (the root when none), and the context with it active. */
export function startSpan(
  name: string,
  options: { kind: SpanKind; parent?: Context; links?: Link[]; attributes?: Record<string, string | number> },
): { span: Span; context: Context } {
  const parent = options.parent ?? ROOT_CONTEXT;
  const span = sagaTracer().startSpan(
    name,
    { kind: options.kind, links: options.links, attributes: options.attributes },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a span, failed with `err` when given. */
export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

export { context as otelContext };
