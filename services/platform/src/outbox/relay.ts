import type { FastifyBaseLogger } from "fastify";
import type { Publisher } from "../kafka/publisher.js";
import { Pauses } from "../pauses.js";
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
  const { publisher, log, pollMs, batchSize } = options;
  const lingerMs = options.lingerMs ?? 0;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  const topics = new Set(options.topics);
  /** The wait between polls: a commit's NOTIFY or a stop ends it early. */
  const polling = new Pauses();
  /** The wait after a batch for more commits: only a stop ends it early. */
  const lingering = new Pauses();
  let stopped = false;
  let signalled = false;
  const session = new RelaySession({
    databaseUrl: options.databaseUrl,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    log,
    onNotify: () => {
      signalled = true;
      // A relay standing by learns nothing from a commit: it waits for its poll to try the lock.
      if (session.holdsLock) polling.cutShort();
    },
  });
  /** Ids of rows sent to Kafka and not yet deleted. */
  let sent: string[] = [];

  const steps = {
    send: (rows: OutboxRow[]) => {
      const byTopic = new Map<string, OutboxRow[]>();
      for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      return publisher.send([...byTopic].map(([topic, sameTopic]) => ({ topic, messages: sameTopic.map(asMessage) })));
    },
    sent: (rows: OutboxRow[]) => {
      sent.push(...rows.map((row) => row.id));
    },
    refuse: async (row: OutboxRow, reason: string) => {
      log.error({ messageId: row.message_id, topic: row.topic, reason }, "outbox message set aside in outbox_refused");
      await session.query(refuse(row.id, reason));
    },
  };

  async function publishBatch(): Promise<number> {
    const holding = session.holdsLock;
    if (!(await session.tryLock())) return 0;
    // What an earlier holding of the lock sent may be sent again by now: only this session's own are deleted.
    if (!holding) sent = [];
    const { rows } = await session.query<OutboxRow>(nextBatch(sent, batchSize));
    sent = [];
    for (const row of rows.filter((r) => !topics.has(r.topic))) {
      await steps.refuse(row, `topic ${row.topic} is not one this service publishes to`);
    }
    await publishInOrder(
      rows.filter((r) => topics.has(r.topic)),
      steps,
    );
    return rows.length;
  }

  async function publishAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await publishBatch();
      total += count;
      if (count < batchSize) return total;
    }
  }

  /** Publishes whatever is waiting and deletes it, without reading on (when stopping). */
  async function drain(): Promise<void> {
    await publishAll();
    if (sent.length > 0 && session.holdsLock) await session.query(deleteSent(sent));
    sent = [];
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        signalled = false;
        const sentNow = await publishAll();
        failures = 0;
        // Commits during the linger notify: the loop reads them all as soon as it ends.
        if (sentNow > 0 && lingerMs > 0) await lingering.wait(lingerMs);
        // What was sent is deleted by the next read: the next commit's or the next poll's.
        if (!stopped && (!signalled || !session.holdsLock)) await polling.wait(pollMs);
      } catch (err) {
        failures += 1;
        log.warn({ err: (err as Error).message, failures }, "outbox relay failed; will retry");
        const backoff = Math.min(pollMs * 2 ** failures, retryMaxMs);
        if (!stopped) await polling.wait(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      polling.cutShort();
      lingering.cutShort();
      await loop;
      await drain().catch((err: Error) => log.warn({ err: err.message }, "outbox not drained on close"));
      await session.close();
    },
  };
}
