import type { FastifyBaseLogger } from "fastify";
import type { Batch, EachBatchPayload, KafkaMessage } from "kafkajs";
import { Pauses } from "../../pauses.js";
import { endSpan, otelContext, traceHeaders, traceIdOf } from "../../tracing/context.js";
import { messageContexts, transactionSpan } from "../../tracing/messaging.js";
import type { DeadLetters, Undeliverable } from "./dead-letters.js";
import { Gatherer } from "./gather.js";
import type { AfterCommit, Delivered, TopicHandler } from "./handler.js";
import { applyIsolating, type IsolationPolicy } from "./isolate.js";
import type { OffsetCommitter } from "./offset-committer.js";
import { parse } from "./parse.js";

interface Applicable {
  topic: string;
  partition: number;
  message: KafkaMessage;
  value: unknown;
  key: string;
}

export interface BatchOptions<Tx> {
  handlers: TopicHandler<Tx>[];
  /** Runs `fn` in one database transaction. */
  transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
  deadLetters: DeadLetters;
  isolation: IsolationPolicy;
  /** Messages applied in one transaction at most. */
  chunkSize: number;
  /** After a batch of fewer than `chunkSize` messages, wait this long before the next fetch (0: not at all). */
  lingerMs: number;
  /** `count` messages of `topic` were applied, their transaction committed. */
  onApplied?(topic: string, count: number): void;
  /** A span for each message, continuing the trace its headers carry, and one for each transaction. */
  tracing?: boolean;
  /** At debug level, a line for each message applied, in its trace. */
  log?: FastifyBaseLogger;
}

const DEBUG_LEVELS = new Set(["debug", "trace"]);

const byKey = (a: Applicable, b: Applicable) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * What a consumer does with each fetched batch. A batch is applied in chunks, one database
 * transaction per chunk; the chunks of one topic ready in the same turn of the event loop share
 * one transaction. Within it messages are ordered by their order key (stable, and a key lives in
 * one partition, so per-key order holds), which also makes concurrent chunks lock rows in the same
 * order. A chunk's offsets go to the committer only after its transaction committed. What can never
 * be applied (unreadable, or failing alone) goes to the dead-letter topic; an error of the moment
 * is thrown back, so kafkajs retries from the last committed offset.
 */
export class BatchConsumer<Tx> {
  private readonly byTopic: Map<string, TopicHandler<Tx>>;
  private readonly gatherer: Gatherer<TopicHandler<Tx>, Applicable>;
  private readonly lingering = new Pauses();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: BatchOptions<Tx>) {
    this.byTopic = new Map(options.handlers.map((h) => [h.topic, h]));
    this.gatherer = new Gatherer((handler, items) => this.apply(handler, items));
  }

  get topics(): string[] {
    return [...this.byTopic.keys()];
  }

  /** The `eachBatch` of a consumer whose offsets go through `offsets`. */
  eachBatch(offsets: OffsetCommitter) {
    return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      const handler = this.byTopic.get(batch.topic);
      if (!handler || this.stopping) return;
      const work = (async () => {
        const active = () => isRunning() && !isStale() && !this.stopping;
        await this.consume(handler, batch, offsets, resolveOffset, heartbeat, active);
        // kafkajs fetches again once every batch of this fetch is handled: holding the handler
        // back a little lets a busy partition's next few messages arrive and share a transaction.
        // A consumer waiting for messages is not held: its fetch answers with the first one.
        const { lingerMs, chunkSize } = this.options;
        if (lingerMs > 0 && batch.messages.length < chunkSize && !this.stopping) await this.lingering.wait(lingerMs);
      })();
      this.inFlight.add(work);
      try {
        await work;
      } finally {
        this.inFlight.delete(work);
      }
    };
  }

  /** Takes no new batch and waits for those under way. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.lingering.cutShort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async consume(
    handler: TopicHandler<Tx>,
    batch: Batch,
    offsets: OffsetCommitter,
    resolveOffset: (offset: string) => void,
    heartbeat: () => Promise<void>,
    active: () => boolean,
  ) {
    const { topic, partition } = batch;
    const { chunkSize, deadLetters } = this.options;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!active()) return;
      const messages = batch.messages.slice(start, start + chunkSize);
      const chunk: Applicable[] = [];
      const unreadable: Undeliverable[] = [];
      for (const message of messages) {
        const parsed = parse(handler.schema, message);
        if (parsed.ok)
          chunk.push({ topic, partition, message, value: parsed.value, key: handler.orderKey(parsed.value) });
        else unreadable.push({ topic, partition, message, reason: parsed.reason });
      }
      await deadLetters.send(unreadable);
      if (chunk.length > 0) await this.gatherer.submit(handler, chunk);
      const last = messages.at(-1)?.offset as string;
      resolveOffset(last);
      offsets.done(topic, partition, last);
      await heartbeat();
    }
  }

  /** One transaction for the gathered chunks; what fails alone goes to the dead-letter topic. */
  private async apply(handler: TopicHandler<Tx>, items: Applicable[]): Promise<void> {
    const { transaction, isolation, deadLetters } = this.options;
    const sorted = [...items].sort(byKey);
    const traced = this.traced(handler, sorted);
    const delivered = (item: Applicable): Delivered<unknown> => ({
      message: item.value,
      context: { topic: item.topic, partition: item.partition, offset: item.message.offset, ...traced.get(item)?.ids },
    });
    const setAside = await applyIsolating(
      sorted,
      async (part) => {
        const run = () =>
          transaction<AfterCommit | undefined>(
            async (tx) => (await handler.handle(tx, part.map(delivered))) ?? undefined,
          );
        const afterCommit = await this.inTransactionSpan(handler, part, traced, run);
        afterCommit?.();
        this.options.onApplied?.(handler.topic, part.length);
        this.logApplied(handler, part, traced);
      },
      (item) => handler.id(item.value),
      isolation,
    );
    if (this.options.tracing) {
      const reasons = new Map(setAside.map(({ item, reason }) => [item, reason]));
      for (const [item, { span }] of traced) if (span) endSpan(span, reasons.get(item));
    }
    await deadLetters.send(setAside.map(({ item, reason }) => ({ ...item, reason })));
  }

  /**
   * Each message's context and the trace headers and id it hands on to what it causes: its span's
   * when tracing is on, else the trace its headers carry (or a new one), with no span.
   */
  private traced(handler: TopicHandler<Tx>, items: Applicable[]) {
    const spans = messageContexts(
      items.map(({ topic, partition, message, value }) => ({
        topic,
        partition,
        offset: message.offset,
        messageId: handler.id(value),
        headers: message.headers,
      })),
      this.options.tracing ?? false,
    );
    return new Map(
      items.map((item, i) => {
        const { span, context } = spans[i] as (typeof spans)[number];
        const ids = { trace: traceHeaders(context), traceId: traceIdOf(context) ?? undefined };
        return [item, { span, context, ids }] as const;
      }),
    );
  }

  /** Runs a transaction in its span; with tracing off, in its message's trace when it applies one message alone. */
  private async inTransactionSpan<R>(
    handler: TopicHandler<Tx>,
    part: Applicable[],
    traced: ReturnType<BatchConsumer<Tx>["traced"]>,
    run: () => Promise<R>,
  ): Promise<R> {
    const contexts = part.flatMap((item) => traced.get(item)?.context ?? []);
    const [only] = contexts;
    if (!this.options.tracing) return only && contexts.length === 1 ? otelContext.with(only, run) : run();
    const { span, context } = transactionSpan(handler.topic, contexts);
    try {
      const result = await otelContext.with(context, run);
      endSpan(span);
      return result;
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  }

  /** Off unless the level is debug: a line per message, written in its trace, for following a booking by its trace id. */
  private logApplied(handler: TopicHandler<Tx>, part: Applicable[], traced: ReturnType<BatchConsumer<Tx>["traced"]>) {
    const { log } = this.options;
    if (!log || !DEBUG_LEVELS.has(log.level)) return;
    for (const item of part) {
      const { topic, partition, message, value } = item;
      const fields = { topic, partition, offset: message.offset, messageId: handler.id(value) };
      otelContext.with(traced.get(item)?.context ?? otelContext.active(), () => log.debug(fields, "message applied"));
    }
  }
}
