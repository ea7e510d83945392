import { createHash } from "node:crypto";
import type { deadLetterMessage } from "@saga/contracts";
import type { FastifyBaseLogger } from "fastify";
import type { KafkaMessage, Message } from "kafkajs";
import type { z } from "zod";
import { inTraceOf } from "../../tracing/context.js";
import type { Publisher } from "../kafka/publisher.js";

/** A message this service can never apply, and why. */
export interface Undeliverable {
  topic: string;
  partition: number;
  message: KafkaMessage;
  reason: string;
}

const MAX_KEY_BYTES = 1_024;
const MAX_REASON_CHARS = 4_000;

const clip = (bytes: Buffer | null, max: number) => bytes?.subarray(0, max).toString("utf8") ?? null;

/** The header a replayed dead letter carries: how many times it was replayed (see `pnpm dlq replay`). */
export const REPLAY_COUNT_HEADER = "replay-count";

const replaysOf = (headers: KafkaMessage["headers"]): number => {
  const value = headers?.[REPLAY_COUNT_HEADER];
  const count = Number(Array.isArray(value) ? value[0]?.toString() : value?.toString());
  return Number.isInteger(count) && count > 0 ? count : 0;
};

/**
 * The dead-letter record of a message. It stays under the broker's size limit whatever the message
 * was: a value longer than `maxValueBytes` is cut there (JSON escaping may grow it at most sixfold),
 * and the record keeps the original's size and SHA-256, so the original can be recognised.
 */
function deadLetterRecord(service: string, item: Undeliverable, maxValueBytes: number): Message {
  const { key, value, offset, headers } = item.message;
  const truncated = (value?.length ?? 0) > maxValueBytes || (key?.length ?? 0) > MAX_KEY_BYTES;
  const record: z.input<typeof deadLetterMessage> = {
    service,
    sourceTopic: item.topic,
    partition: item.partition,
    offset,
    key: clip(key, MAX_KEY_BYTES),
    value: clip(value, maxValueBytes),
    valueBytes: value?.length ?? 0,
    valueSha256: value ? createHash("sha256").update(value).digest("hex") : null,
    truncated,
    reason: item.reason.slice(0, MAX_REASON_CHARS),
    failedAt: new Date().toISOString(),
    // Never replayed automatically: only `pnpm dlq replay` sends it again.
    replays: replaysOf(headers),
  };
  const messageId = headers?.["message-id"];
  // The original's trace, so the dead letter is found from the booking's trace id.
  const traceparent = headers?.traceparent;
  return {
    key: key && key.length <= MAX_KEY_BYTES ? key : record.key,
    value: JSON.stringify(record),
    headers: {
      "dead-letter-reason": record.reason.slice(0, 500),
      "source-topic": item.topic,
      ...(messageId ? { "message-id": messageId } : {}),
      ...(traceparent ? { traceparent } : {}),
    },
  };
}

/** Sends what can never be applied to the dead-letter topic, so the consumer can go on. */
export class DeadLetters {
  constructor(
    private readonly options: {
      publisher: Publisher;
      topic: string;
      service: string;
      maxValueBytes: number;
      log: FastifyBaseLogger;
      /** Kafka acknowledged the dead letters of `count` messages from `sourceTopic`. */
      onSent?(sourceTopic: string, count: number): void;
    },
  ) {}

  async send(items: Undeliverable[]): Promise<void> {
    if (items.length === 0) return;
    const { publisher, topic, service, maxValueBytes, log } = this.options;
    for (const { topic: source, partition, message, reason } of items) {
      inTraceOf(message.headers, () =>
        log.warn({ topic: source, partition, offset: message.offset, reason }, "message sent to the dead-letter topic"),
      );
    }
    await publisher.send([{ topic, messages: items.map((item) => deadLetterRecord(service, item, maxValueBytes)) }]);
    const bySource = new Map<string, number>();
    for (const item of items) bySource.set(item.topic, (bySource.get(item.topic) ?? 0) + 1);
    for (const [source, count] of bySource) this.options.onSent?.(source, count);
  }
}
