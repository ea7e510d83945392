import type { FastifyBaseLogger } from "fastify";
import type { Batch, Consumer, Kafka, KafkaMessage, Producer } from "kafkajs";
import type { z } from "zod";
import { PermanentMessageError } from "./errors.js";
import { OffsetCommitter } from "./offset-committer.js";
import { Pauses } from "./pauses.js";

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
}

export interface Delivered<T> {
  message: T;
  context: MessageContext;
}

/**
 * One topic's entry point: a schema for its payload and the domain call it makes inside the
 * transaction it is given, for a chunk of messages in order (so a domain function can apply a
 * chunk in a few set-based statements instead of a few statements per message). `orderKey` names
 * what must stay in order (a room, a reservation).
 */
export interface TopicHandler<Tx, S extends z.ZodType = z.ZodType> {
  topic: string;
  schema: S;
  orderKey(message: z.infer<S>): string;
  handle(tx: Tx, messages: Delivered<z.infer<S>>[]): Promise<void>;
}

export function topicHandler<Tx, S extends z.ZodType>(handler: TopicHandler<Tx, S>): TopicHandler<Tx> {
  return handler as unknown as TopicHandler<Tx>;
}

export interface ConsumerOptions<Tx> {
  kafka: Kafka;
  producer: Producer;
  groupId: string;
  deadLetterTopic: string;
  service: string;
  handlers: TopicHandler<Tx>[];
  /** Runs `fn` in one database transaction. */
  transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
  log: FastifyBaseLogger;
  partitionsConsumedConcurrently?: number;
  /** Messages applied in one transaction at most. */
  chunkSize?: number;
  /**
   * After a batch of fewer than `chunkSize` messages, wait this long before the next fetch, so the
   * messages of those milliseconds share the next transaction (default 0: fetch again at once).
   */
  lingerMs?: number;
}

export interface RunningConsumer {
  consumer: Consumer;
  /** True while the consumer is a member of its group. */
  isJoined(): boolean;
  stop(): Promise<void>;
}

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

function parse(schema: z.ZodType, message: KafkaMessage): Parsed {
  if (!message.value) return { ok: false, reason: "empty message value" };
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  return { ok: false, reason: `schema: ${problems.join("; ")}` };
}

interface Applicable {
  topic: string;
  partition: number;
  message: KafkaMessage;
  value: unknown;
  key: string;
}

/**
 * Runs a consumer group over the given topics. Each fetched batch is applied in chunks, one
 * database transaction per chunk (one commit for many messages), and the offsets of a chunk are
 * committed to Kafka only after its transaction committed (by the OffsetCommitter, within 100 ms,
 * without holding up the next fetch). kafkajs hands each partition of a fetch to its own
 * concurrent `eachBatch`; the chunks of one topic that are ready in the same turn of the event
 * loop share one transaction (at moderate load a fetch brings a few messages per partition, and a
 * transaction per partition cost a commit and four to six round trips each). Within a chunk,
 * messages are ordered by their order key (stable, and a key lives in one partition, so per-key
 * order holds), which also makes concurrent chunks lock rows in the same order. A message that
 * can never be applied goes to the dead-letter topic: when a chunk fails, its messages are applied
 * one transaction each, so only the poison is set apart. Any other error
 * is thrown back, so kafkajs retries from the last committed offset.
 */
export async function startConsumer<Tx>(options: ConsumerOptions<Tx>): Promise<RunningConsumer> {
  const { kafka, producer, log, handlers } = options;
  const chunkSize = options.chunkSize ?? 200;
  const lingerMs = options.lingerMs ?? 0;
  const lingering = new Pauses();
  const byTopic = new Map(handlers.map((h) => [h.topic, h]));
  const consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    rebalanceTimeout: 20_000,
  });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    log.error({ err: payload.error, restart: payload.restart }, "consumer crashed");
  });
  consumer.on(consumer.events.STOP, () => {
    joined = false;
  });

  async function deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string) {
    log.warn({ topic, partition, offset: message.offset, reason }, "message sent to the dead-letter topic");
    await producer.send({
      topic: options.deadLetterTopic,
      messages: [
        {
          key: message.key,
          value: JSON.stringify({
            service: options.service,
            sourceTopic: topic,
            partition,
            offset: message.offset,
            key: message.key?.toString("utf8") ?? null,
            value: message.value?.toString("utf8") ?? null,
            reason,
            failedAt: new Date().toISOString(),
          }),
          headers: { "dead-letter-reason": reason.slice(0, 500), "source-topic": topic },
        },
      ],
    });
  }

  async function applyChunk(handler: TopicHandler<Tx>, chunk: Applicable[]) {
    const ordered = [...chunk].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const delivered = ({ topic, partition, message, value }: Applicable): Delivered<unknown> => ({
      message: value,
      context: { topic, partition, offset: message.offset },
    });
    const apply = (tx: Tx, items: Applicable[]) => handler.handle(tx, items.map(delivered));
    try {
      await options.transaction((tx) => apply(tx, ordered));
    } catch (err) {
      if (!(err instanceof PermanentMessageError)) throw err;
      const [only] = ordered;
      if (ordered.length === 1 && only) return deadLetter(only.topic, only.partition, only.message, err.message);
      for (const item of ordered) {
        try {
          await options.transaction((tx) => apply(tx, [item]));
        } catch (single) {
          if (!(single instanceof PermanentMessageError)) throw single;
          await deadLetter(item.topic, item.partition, item.message, single.message);
        }
      }
    }
  }

  /** Chunks of one topic waiting for the end of this turn of the event loop, to share a transaction. */
  const gathering = new Map<TopicHandler<Tx>, { items: Applicable[]; applied: Promise<void> }>();

  /**
   * Applies `chunk` together with the chunks of other partitions of the same topic submitted in the
   * same turn; resolves once their shared transaction committed (or its poison went to the
   * dead-letter topic), rejects if it failed, and then every partition in it is retried.
   */
  function applyTogether(handler: TopicHandler<Tx>, chunk: Applicable[]): Promise<void> {
    let group = gathering.get(handler);
    if (!group) {
      const items: Applicable[] = [];
      const applied = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        gathering.delete(handler);
        return applyChunk(handler, items);
      });
      group = { items, applied };
      gathering.set(handler, group);
    }
    group.items.push(...chunk);
    return group.applied;
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [...byTopic.keys()], fromBeginning: true });
  // Not awaited: joining the group may wait for a dead member's session to expire, and the
  // service should serve HTTP meanwhile; readiness reports whether the consumer has joined.
  const offsets = new OffsetCommitter(consumer, log);
  let stopping = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const running = consumer.run({
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
    eachBatchAutoResolve: false,
    // Offsets go to Kafka through the committer, after each chunk's transaction, off the fetch path.
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const handler = byTopic.get(batch.topic);
      if (!handler || stopping) return;
      inFlight += 1;
      try {
        await consumeBatch(handler, batch, resolveOffset, heartbeat, () => isRunning() && !isStale() && !stopping);
        // kafkajs fetches again once every batch of this fetch is handled: holding the handler
        // back a little lets a busy partition's next few messages arrive and share a transaction.
        // A consumer waiting for messages is not held: its fetch answers with the first one.
        if (lingerMs > 0 && batch.messages.length < chunkSize && !stopping) await lingering.wait(lingerMs);
      } finally {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      }
    },
  });
  running.catch((err: Error) => log.error({ err }, "consumer stopped"));

  async function consumeBatch(
    handler: TopicHandler<Tx>,
    batch: Batch,
    resolveOffset: (offset: string) => void,
    heartbeat: () => Promise<void>,
    active: () => boolean,
  ) {
    const { topic, partition } = batch;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!active()) return;
      const messages = batch.messages.slice(start, start + chunkSize);
      const chunk: Applicable[] = [];
      for (const message of messages) {
        const parsed = parse(handler.schema, message);
        if (parsed.ok)
          chunk.push({ topic, partition, message, value: parsed.value, key: handler.orderKey(parsed.value) });
        else await deadLetter(topic, partition, message, parsed.reason);
      }
      if (chunk.length > 0) await applyTogether(handler, chunk);
      const last = messages.at(-1)?.offset as string;
      resolveOffset(last);
      offsets.done(topic, partition, last);
      await heartbeat();
    }
  }

  return {
    consumer,
    isJoined: () => joined,
    /** Finishes the chunks under way, commits their offsets while still in the group, then leaves it. */
    stop: async () => {
      stopping = true;
      lingering.cutShort();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await offsets.flush();
      await consumer.disconnect();
    },
  };
}
