import type { FastifyBaseLogger } from "fastify";
import type { Consumer } from "kafkajs";

interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read: one past the last message whose effect is committed. */
  offset: string;
}

/**
 * Commits consumed offsets to Kafka off the message path. kafkajs' own auto-commit sends an
 * OffsetCommit after every batch and fetches nothing until it is answered, which put one broker
 * round trip on every hop of every saga (see docs/decisions.md). Offsets are still committed
 * only after the database transaction that applied their messages: `done` is called after COMMIT,
 * and the committer sends the latest offset of each partition at most `intervalMs` later, one
 * request at a time so that an older offset never lands after a newer one.
 *
 * A commit that fails (the partition moved to another member in a rebalance, the broker is away)
 * is dropped, not retried: the next offset of that partition supersedes it, and what it covered
 * is at worst delivered again, which the inbox makes harmless.
 */
export class OffsetCommitter {
  private readonly pending = new Map<string, TopicPartitionOffset>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: Consumer,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 100,
  ) {}

  /** The messages of `topic`/`partition` up to `lastOffset` are applied and committed in the database. */
  done(topic: string, partition: number, lastOffset: string): void {
    this.pending.set(`${topic}\u0000${partition}`, { topic, partition, offset: (BigInt(lastOffset) + 1n).toString() });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
  }

  /** Sends what is pending now, after any commit already on its way; resolves when both are answered. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    if (offsets.length > 0) {
      this.chain = this.chain.then(() =>
        this.consumer.commitOffsets(offsets).catch((err: Error) => {
          this.log.info({ err: err.message, offsets }, "offset commit dropped; a later one supersedes it");
        }),
      );
    }
    return this.chain;
  }
}
