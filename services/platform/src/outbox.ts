import type { FastifyBaseLogger } from "fastify";
import type { Producer } from "kafkajs";
import pg from "pg";
import { Pauses } from "./pauses.js";
import { prepared, type SqlExecutor } from "./sql.js";

export interface OutboxEntry {
  messageId: string;
  topic: string;
  key: string;
  payload: unknown;
}

export const OUTBOX_CHANNEL = "outbox";
/** One relay per database publishes at a time, so messages leave in commit order per key. */
const RELAY_LOCK = 0x6f7574626f78;

/** Writes messages owed by a state change, in the same transaction as the change. */
export async function enqueue(tx: SqlExecutor, entries: OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  // One statement: the rows, and a NOTIFY that PostgreSQL delivers to relays when the transaction commits.
  await tx.$executeRawUnsafe(
    `WITH queued AS (
       INSERT INTO "outbox" ("message_id", "topic", "key", "payload")
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])
       RETURNING 1
     )
     SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_row`,
    entries.map((e) => e.messageId),
    entries.map((e) => e.topic),
    entries.map((e) => e.key),
    entries.map((e) => JSON.stringify(e.payload)),
  );
}

interface OutboxRow {
  id: string;
  message_id: string;
  topic: string;
  key: string;
  /** The JSON text as stored: published as it is. */
  payload: string;
}

export interface OutboxRelayOptions {
  databaseUrl: string;
  producer: Producer;
  log: FastifyBaseLogger;
  pollMs: number;
  batchSize: number;
  /**
   * After a batch that sent something, wait this long before reading the next, so the commits of
   * those milliseconds leave together: one read and one produce request instead of one each
   * (default 0: read again at once). The first commit after a quiet spell is sent at once.
   */
  lingerMs?: number;
}

export interface OutboxRelay {
  /** Publishes whatever is waiting, then returns how many messages it sent. */
  drain(): Promise<number>;
  /** Stops the loop, publishes what is still committed, and closes the connection. */
  stop(): Promise<void>;
}

/**
 * Publishes committed outbox rows to Kafka, then deletes them, on a connection of its own (plain
 * SQL: it is on every message's path). One relay per database publishes at a time: the one that
 * holds the relay's advisory lock for as long as its connection lives; the others stand by and
 * try to take the lock at each poll, so one takes over within `pollMs` when the holder goes. A
 * batch costs one round trip to the database and one to Kafka: the rows a batch sent are deleted
 * by the statement that reads the next batch, at the next commit or at the latest the next poll.
 * Woken by NOTIFY from any writer's commit, and by a poll as a safety net. A crash after sending
 * but before deleting re-sends: consumers are idempotent.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { producer, log, pollMs, batchSize } = options;
  const lingerMs = options.lingerMs ?? 0;
  /** The wait between polls: a commit's NOTIFY or a stop ends it early. */
  const polling = new Pauses();
  /** The wait after a batch for more commits: only a stop ends it early. */
  const lingering = new Pauses();
  let stopped = false;
  let signalled = false;
  let connection: pg.Client | undefined;
  /** Whether this relay's connection holds the lock: only then does it publish. */
  let holder = false;
  /** Ids of rows sent to Kafka and not yet deleted. */
  let sent: string[] = [];

  async function connect(): Promise<pg.Client> {
    if (connection) return connection;
    const client = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 3_000 });
    client.on("notification", () => {
      signalled = true;
      // A relay standing by learns nothing from a commit: it waits for its poll to try the lock.
      if (holder) polling.cutShort();
    });
    client.on("error", (err) => {
      log.warn({ err: err.message }, "outbox relay lost its connection; reconnecting");
      if (connection === client) {
        connection = undefined;
        holder = false;
        // What it sent is deleted by no one: the next holder reads and sends it again.
        sent = [];
      }
      client.end().catch(() => {});
    });
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    connection = client;
    return client;
  }

  async function publishBatch(): Promise<number> {
    const client = await connect();
    if (!holder) {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        RELAY_LOCK,
      ]);
      holder = rows[0]?.locked === true && connection === client;
      if (!holder) return 0;
    }
    // The statement's snapshot still sees the rows it deletes: they are left out by id.
    const { rows } = await client.query<OutboxRow>(
      prepared(
        `WITH "deleted" AS (DELETE FROM "outbox" WHERE "id" = ANY($1::bigint[]))
         SELECT "id", "message_id", "topic", "key", "payload"::text AS "payload" FROM "outbox"
         WHERE "id" <> ALL($1::bigint[]) ORDER BY "id" LIMIT $2`,
        [sent, batchSize],
      ),
    );
    sent = [];
    if (rows.length === 0) return 0;
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const row of rows) {
      const messages = byTopic.get(row.topic) ?? [];
      messages.push({ key: row.key, value: row.payload, headers: { "message-id": row.message_id } });
      byTopic.set(row.topic, messages);
    }
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    sent = rows.map((r) => r.id);
    return rows.length;
  }

  /** Deletes what was sent without reading on (when stopping). */
  async function forgetSent(): Promise<void> {
    if (sent.length === 0 || !connection) return;
    await connection.query(prepared(`DELETE FROM "outbox" WHERE "id" = ANY($1::bigint[])`, [sent]));
    sent = [];
  }

  async function publishAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await publishBatch();
      total += count;
      if (count < batchSize) return total;
    }
  }

  async function drain(): Promise<number> {
    const total = await publishAll();
    await forgetSent();
    return total;
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
        if (!stopped && (!signalled || !holder)) await polling.wait(pollMs);
      } catch (err) {
        failures += 1;
        log.warn({ err: (err as Error).message, failures }, "outbox relay failed; will retry");
        if (!stopped) await polling.wait(Math.min(pollMs * 2 ** failures, 5_000));
      }
    }
  })();

  return {
    drain,
    async stop() {
      stopped = true;
      polling.cutShort();
      lingering.cutShort();
      await loop;
      await drain().catch((err: Error) => log.warn({ err: err.message }, "outbox not drained on close"));
      // Closing the session releases the lock: a relay standing by takes over at its next poll.
      await connection?.end().catch(() => {});
    },
  };
}
