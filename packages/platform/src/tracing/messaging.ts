import { type Context, type Span, trace } from "@opentelemetry/api";
import { carriedOrNewTrace, contextFrom, endSpan, SpanKind, startSpan, traceHeaders } from "./context.js";

type StoredHeaders = Record<string, string> | null;

/**
 * A PRODUCER span for each outbox row a relay sends, continuing the trace the row stored (the
 * request's, or the message's that caused it), and the headers that carry the span on to the
 * consumer. A row with no stored trace gets no span. `end` ends them all, when the send succeeded or failed.
 */
export function publishSpans<R extends { topic: string; message_id: string; headers: StoredHeaders }>(rows: R[]) {
  const headers = new Map<R, Record<string, string>>();
  const spans: Span[] = [];
  for (const row of rows) {
    const parent = contextFrom(row.headers);
    if (!parent) continue;
    const { span, context } = startSpan(`${row.topic} publish`, {
      kind: SpanKind.PRODUCER,
      parent,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.destination.name": row.topic,
        "messaging.message.id": row.message_id,
      },
    });
    spans.push(span);
    headers.set(row, { ...row.headers, ...traceHeaders(context) });
  }
  return {
    headersOf: (row: R) => headers.get(row) ?? row.headers,
    end: (err?: unknown) => {
      for (const span of spans) endSpan(span, err);
    },
  };
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  messageId: string;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined;
}

/**
 * A CONSUMER span for each message of a chunk, the child of the span that published it (or a root,
 * when it came without one): what the message causes (a reply) continues its trace.
 */
function processSpans(messages: ConsumedMessage[]): { span: Span; context: Context }[] {
  return messages.map((m) =>
    startSpan(`${m.topic} process`, {
      kind: SpanKind.CONSUMER,
      parent: contextFrom(m.headers),
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": m.topic,
        "messaging.destination.partition.id": String(m.partition),
        "messaging.kafka.offset": m.offset,
        "messaging.message.id": m.messageId,
      },
    }),
  );
}

/**
 * Each message's context: its process span's when spans are made, else (no exporter) the trace
 * its headers carry, or a new one, with no span: its log lines and what it causes still name it.
 */
export function messageContexts(messages: ConsumedMessage[], spans: boolean): { span?: Span; context: Context }[] {
  return spans ? processSpans(messages) : messages.map((m) => ({ context: carriedOrNewTrace(m.headers) }));
}

/**
 * The span of one consumer transaction over `messages` (their process spans' contexts): the child
 * of the one message's span when it applies alone, else a root linked to each, since one span
 * cannot have many parents.
 */
export function transactionSpan(topic: string, contexts: Context[]): { span: Span; context: Context } {
  const name = `${topic} transaction`;
  const options = { kind: SpanKind.INTERNAL, attributes: { "messaging.batch.message_count": contexts.length } };
  if (contexts.length === 1) return startSpan(name, { ...options, parent: contexts[0] });
  const links = contexts.flatMap((ctx) => {
    const spanContext = trace.getSpanContext(ctx);
    return spanContext ? [{ context: spanContext }] : [];
  });
  return startSpan(name, { ...options, links });
}
