import type { FastifyBaseLogger } from "fastify";
import type { Kafka, Producer, TopicMessages } from "kafkajs";
import { someInChain } from "../../errors.js";

/** Kafka's answers that no retry can change: the message itself is refused, not the moment. */
const REFUSALS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "INVALID_TOPIC_EXCEPTION"]);

/** True when the broker refused what was sent as it is (too large, invalid): sending it again cannot succeed. */
export const isRefusal = (err: unknown) => someInChain(err, (e) => REFUSALS.has(e.type as string));

/** An idempotent producer that waits for all in-sync replicas. */
function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

/**
 * Sends through an idempotent producer that is replaced after any failed send. kafkajs numbers
 * each partition's batches itself and, when a request fails, rolls back the numbers of every
 * partition in it, those the broker accepted included. The next batch to such a partition then
 * reuses a number the broker already has: it is refused as out of order, or, with as many
 * messages, acknowledged as a duplicate and dropped (seen: a message after a refused 2 MB one was
 * acknowledged and never written). A new producer gets a new producer id and starts afresh.
 */
export class Publisher {
  private current: Promise<Producer> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Connects now (a start-up check); `send` connects by itself otherwise. */
  async connect(): Promise<void> {
    await this.producer();
  }

  async send(topicMessages: TopicMessages[]): Promise<void> {
    const producer = this.producer();
    try {
      await (await producer).sendBatch({ topicMessages });
    } catch (err) {
      this.replace(producer, err);
      throw err;
    }
  }

  async close(): Promise<void> {
    const producer = this.current;
    this.current = undefined;
    await producer
      ?.then((p) => p.disconnect())
      .catch((err: Error) =>
        this.log.warn({ err: err.message }, "producer not closed cleanly; its connections are dropped"),
      );
  }

  private producer(): Promise<Producer> {
    this.current ??= (async () => {
      const producer = createProducer(this.kafka);
      try {
        await producer.connect();
        return producer;
      } catch (err) {
        await producer
          .disconnect()
          .catch((cause: Error) => this.log.debug({ err: cause.message }, "unconnected producer not closed"));
        throw err;
      }
    })();
    return this.current;
  }

  private replace(failed: Promise<Producer>, err: unknown): void {
    if (this.current !== failed) return;
    this.current = undefined;
    this.log.warn({ err: (err as Error).message }, "send failed: the producer is replaced before the next one");
    failed
      .then((p) => p.disconnect())
      .catch((cause: Error) => this.log.debug({ err: cause.message }, "the replaced producer did not close cleanly"));
  }
}
