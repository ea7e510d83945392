import { prepared, type SqlExecutor } from "../sql.js";

/** A message owed by a state change, written in the same transaction as the change. */
export interface OutboxEntry {
  messageId: string;
  topic: string;
  key: string;
  payload: unknown;
}

/** A row as the relay reads it. */
export interface OutboxRow {
  id: string;
  message_id: string;
  topic: string;
  key: string;
  /** The JSON text as stored: published as it is. */
  payload: string;
}

export const OUTBOX_CHANNEL = "outbox";

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

/**
 * Deletes the rows a batch sent and reads the next batch, in one statement: its snapshot still
 * sees the rows it deletes, so they are left out by id.
 */
export const nextBatch = (sent: string[], limit: number) =>
  prepared(
    `WITH "deleted" AS (DELETE FROM "outbox" WHERE "id" = ANY($1::bigint[]))
     SELECT "id", "message_id", "topic", "key", "payload"::text AS "payload" FROM "outbox"
     WHERE "id" <> ALL($1::bigint[]) ORDER BY "id" LIMIT $2`,
    [sent, limit],
  );

export const deleteSent = (sent: string[]) => prepared(`DELETE FROM "outbox" WHERE "id" = ANY($1::bigint[])`, [sent]);

/** Moves a row the broker refused to `outbox_refused`, with the reason, where an operator finds it. */
export const refuse = (id: string, reason: string) =>
  prepared(
    `WITH "moved" AS (DELETE FROM "outbox" WHERE "id" = $1::bigint RETURNING *)
     INSERT INTO "outbox_refused" ("id", "message_id", "topic", "key", "payload", "created_at", "reason")
     SELECT "id", "message_id", "topic", "key", "payload", "created_at", $2 FROM "moved"`,
    [id, reason],
  );
