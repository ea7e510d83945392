import type { FastifyBaseLogger } from "fastify";
import { Pauses } from "../../pauses.js";
import { publishSpans } from "../../tracing/messaging.js";
import type { Publisher } from "../kafka/publisher.js";
import { deleteSent, nextBatch, type OutboxRow, refuse } from "./outbox.js";
import { asMessage, publishInOrder } from "./publish.js";
import { RelaySession } from "./relay-session.js";

export interface OutboxRelayOptions {
  databaseUrl: string;
  publisher: Publisher;
  /** The topics this service publishes: a row naming another is set aside, never sent. */
  topics: string[];
  log: FastifyBaseLogger;
  pollMs: number;
  batchSize: number;
  /**
   * After a batch that sent something, wait this long before reading the next, so the commits of
   * those milliseconds leave together (default 0: read again at once).
   */
  lingerMs?: number;
  /** See RelaySession (default 10 s). */
  sessionTimeoutMs?: number;
  /** The longest wait between two tries after a failure (default 5 s). */
  retryMaxMs?: number;
  /** Kafka acknowledged `count` messages. */
  onPublished?(count: number): void;
  /** A message for `topic` was set aside in `outbox_refused`. */
  onRefused?(topic: string): void;
  /** A span for each message sent, continuing the trace its row stored (default false). */
  tracing?: boolean;
}

export interface OutboxRelay {
  /** Stops the loop, publishes what is still committed, and closes the connection. */
  stop(): Promise<void>;
}

/**
 * Publishes committed outbox rows to Kafka, then deletes them. One relay per database publishes
 * at a time: the one whose session holds the relay lock (see RelaySession); the others stand by
 * and try to take it at each poll. A batch costs one round trip to the database and one to Kafka:
 * the rows a batch sent are deleted by the statement that reads the next batch. Woken by NOTIFY
 * from any writer's commit, and by a poll as a safety net. A crash after sending but before
 * deleting re-sends: consumers are idempotent. A row Kafka refuses is set aside in
 * `outbox_refused` and the others go on (see publishInOrder); any other failure backs off, at most
 * `retryMaxMs` between tries.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const relay = new Relay(options);
  const loop = relay.run();
  return {
    async stop() {
      relay.stopping();
      await loop;
      await relay.drain().catch((err: Error) => options.log.warn({ err: err.message }, "outbox not drained on close"));
      await relay.close();
    },
  };
}

class Relay {
  private readonly topics: Set<string>;
  private readonly session: RelaySession;
  /** The wait between polls: a commit's NOTIFY or a stop ends it early. */
  private readonly polling = new Pauses();
  /** The wait after a batch for more commits: only a stop ends it early. */
  private readonly lingering = new Pauses();
  private stopped = false;
  private signalled = false;
  /** Ids of rows sent to Kafka and not yet deleted. */
  private sent: string[] = [];

  constructor(private readonly options: OutboxRelayOptions) {
    this.topics = new Set(options.topics);
    this.session = new RelaySession({
      databaseUrl: options.databaseUrl,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      log: options.log,
      onNotify: () => {
        this.signalled = true;
        // A relay standing by learns nothing from a commit: it waits for its poll to try the lock.
        if (this.session.holdsLock) this.polling.cutShort();
      },
    });
  }

  async run(): Promise<void> {
    const { pollMs, log } = this.options;
    const lingerMs = this.options.lingerMs ?? 0;
    const retryMaxMs = this.options.retryMaxMs ?? 5_000;
    let failures = 0;
    while (!this.stopped) {
      try {
        this.signalled = false;
        const sentNow = await this.publishAll();
        failures = 0;
        // Commits during the linger notify: the loop reads them all as soon as it ends.
        if (sentNow > 0 && lingerMs > 0) await this.lingering.wait(lingerMs);
        // What was sent is deleted by the next read: the next commit's or the next poll's.
        if (!this.stopped && (!this.signalled || !this.session.holdsLock)) await this.polling.wait(pollMs);
      } catch (err) {
        failures += 1;
        log.warn({ err: (err as Error).message, failures }, "outbox relay failed; will retry");
        const backoff = Math.min(pollMs * 2 ** failures, retryMaxMs);
        if (!this.stopped) await this.polling.wait(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  stopping(): void {
    this.stopped = true;
    this.polling.cutShort();
    this.lingering.cutShort();
  }

  /** Publishes whatever is waiting and deletes it, without reading on (when stopping). */
  async drain(): Promise<void> {
    await this.publishAll();
    if (this.sent.length > 0 && this.session.holdsLock) await this.session.query(deleteSent(this.sent));
    this.sent = [];
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private async publishAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.publishBatch();
      total += count;
      if (count < this.options.batchSize) return total;
    }
  }

  private async publishBatch(): Promise<number> {
    const holding = this.session.holdsLock;
    if (!(await this.session.tryLock())) return 0;
    // What an earlier holding of the lock sent may be sent again by now: only this session's own are deleted.
    if (!holding) this.sent = [];
    const { rows } = await this.session.query<OutboxRow>(nextBatch(this.sent, this.options.batchSize));
    this.sent = [];
    for (const row of rows.filter((r) => !this.topics.has(r.topic))) {
      await this.refuse(row, `topic ${row.topic} is not one this service publishes to`);
    }
    await publishInOrder(
      rows.filter((r) => this.topics.has(r.topic)),
      {
        send: (batch) => this.send(batch),
        sent: (batch) => {
          this.sent.push(...batch.map((row) => row.id));
          this.options.onPublished?.(batch.length);
        },
        refuse: (row, reason) => this.refuse(row, reason),
      },
    );
    return rows.length;
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const traced = this.options.tracing ? publishSpans(rows) : undefined;
    const byTopic = new Map<string, OutboxRow[]>();
    for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    const topicMessages = [...byTopic].map(([topic, sameTopic]) => ({
      topic,
      messages: sameTopic.map((row) => asMessage(traced ? { ...row, headers: traced.headersOf(row) } : row)),
    }));
    try {
      await this.options.publisher.send(topicMessages);
      traced?.end();
    } catch (err) {
      traced?.end(err);
      throw err;
    }
  }

  private async refuse(row: OutboxRow, reason: string): Promise<void> {
    this.options.log.error(
      { messageId: row.message_id, topic: row.topic, reason },
      "outbox message set aside in outbox_refused",
    );
    await this.session.query(refuse(row.id, reason));
    this.options.onRefused?.(row.topic);
  }
}
