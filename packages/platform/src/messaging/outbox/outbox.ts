import { type Query, sql } from "../../sql/sql.js";
import { traceHeaders } from "../../tracing/context.js";

/** A message owed by a state change, written in the same transaction as the change. */
export interface OutboxEntry {
  messageId: string;
  topic: string;
  key: string;
  payload: unknown;
  /**
   * Kafka headers besides `message-id`: a replay says so; a message caused by another carries that
   * one's trace. Without a `traceparent` here, the row takes the trace of the active span (the request's).
   */
  headers?: Record<string, string>;
}

/** A row as the relay reads it. */
export interface OutboxRow {
  id: string;
  message_id: string;
  topic: string;
  key: string;
  /** The JSON text as stored: published as it is. */
  payload: string;
  headers: Record<string, string> | null;
}

export const OUTBOX_CHANNEL = "outbox";

/**
 * The one way a message is owed: the INSERT of its outbox rows, composed into the statement of the
 * state change that owes them (as a CTE: PostgreSQL runs a data-modifying CTE whether or not the
 * statement reads it), or run alone in the same transaction. Rows are written only `when` holds
 * (the state change happened). Each row it writes wakes the relay when the transaction commits
 * (`pg_notify` in RETURNING: PostgreSQL folds identical notifications of one transaction into one),
 * so no statement can owe a message and forget to say so.
 */
export function outboxInsert(entries: OutboxEntry[], when: Query = sql`true`): Query {
  // The relay publishes later, outside the request: the row keeps the trace to carry on.
  const active = traceHeaders();
  const headers = entries.map((e) => {
    const all = { ...active, ...e.headers };
    return Object.keys(all).length > 0 ? JSON.stringify(all) : null;
  });
  return sql`
    INSERT INTO "outbox" ("message_id", "topic", "key", "payload", "headers")
    SELECT * FROM unnest(${entries.map((e) => e.messageId)}::uuid[], ${entries.map((e) => e.topic)}::text[],
                         ${entries.map((e) => e.key)}::text[], ${entries.map((e) => JSON.stringify(e.payload))}::jsonb[],
                         ${headers}::jsonb[])
    WHERE ${when}
    RETURNING pg_notify(${OUTBOX_CHANNEL}, '')`;
}

/**
 * Deletes the rows a batch sent and reads the next batch, in one statement: its snapshot still
 * sees the rows it deletes, so they are left out by id.
 */
export const nextBatch = (sent: string[], limit: number) => sql`
  WITH "deleted" AS (DELETE FROM "outbox" WHERE "id" = ANY(${sent}::bigint[]))
  SELECT "id", "message_id", "topic", "key", "payload"::text AS "payload", "headers" FROM "outbox"
  WHERE "id" <> ALL(${sent}::bigint[]) ORDER BY "id" LIMIT ${limit}`;

export const deleteSent = (sent: string[]) => sql`DELETE FROM "outbox" WHERE "id" = ANY(${sent}::bigint[])`;

/** Moves a row the broker refused to `outbox_refused`, with the reason, where an operator finds it. */
export const refuse = (id: string, reason: string) => sql`
  WITH "moved" AS (DELETE FROM "outbox" WHERE "id" = ${id}::bigint RETURNING *)
  INSERT INTO "outbox_refused" ("id", "message_id", "topic", "key", "payload", "headers", "created_at", "reason")
  SELECT "id", "message_id", "topic", "key", "payload", "headers", "created_at", ${reason} FROM "moved"`;
