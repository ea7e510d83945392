// What changed since the last pass, read from the logs each service appends to in the same
// transaction as the change (a booking's history, a hold's history, the ledger's entries), and the
// next slice of the sweep that walks every table in key order to find changes made by hand.
import { type Query, raw, sql } from "@saga/platform/sql";

/** The append-only logs whose ids are a watermark, and what each row points at. */
export const LOGS = {
  bookingHistory: sql`SELECT "id", "reservation_id"::text AS "ref" FROM "reservation_history"`,
  holdHistory: sql`SELECT "id", "reservation_id"::text AS "ref" FROM "hold_history"`,
  entries: sql`SELECT e."id", e."movement_id"::text AS "ref", e."account_id"::text AS "account",
                      m."reservation_id"::text AS "booking"
               FROM "entries" e JOIN "movements" m ON m."id" = e."movement_id"`,
} as const;

export type LogName = keyof typeof LOGS;

const LOG_TABLES: Record<LogName, string> = {
  bookingHistory: "reservation_history",
  holdHistory: "hold_history",
  entries: "entries",
};

export interface LogRow {
  id: number;
  ref: string;
  account?: string;
  booking?: string | null;
}

/** The log's rows after `after`, and those of the ids given (gaps a transaction may yet fill), in id order. */
export const logRowsSince = (log: LogName, after: number, gaps: number[], limit: number): Query => {
  const alias = log === "entries" ? raw(`e."id"`) : raw(`"id"`);
  return sql`${LOGS[log]} WHERE ${alias} > ${after} OR ${alias} = ANY(${gaps}::bigint[]) ORDER BY ${alias} LIMIT ${limit}`;
};

export const lastLogId = (log: LogName): Query =>
  sql`SELECT COALESCE(max("id"), 0) AS "id" FROM ${raw(`"${LOG_TABLES[log]}"`)}`;

/** The tables the sweep walks, each by its key. */
export const SWEEPS = {
  bookings: { table: "reservations", key: `"id"` },
  payments: { table: "payments", key: `"reservation_id"` },
  nights: { table: "room_nights", key: `"room_id", "date"` },
  movements: { table: "movements", key: `"id"` },
  deposits: { table: "accounts", key: `"id"`, where: `"kind" = 'GUEST_DEPOSIT'` },
} as const satisfies Record<string, { table: string; key: string; where?: string }>;

export type SweepName = keyof typeof SWEEPS;

/** A sweep's position: the last key it checked (its columns as text, in key order), or none to begin. */
export type SweepCursor = string[] | null;

/** The next `limit` keys after `cursor`, each as its columns in text. */
export const sweepSlice = (name: SweepName, cursor: SweepCursor, limit: number): Query => {
  const sweep: { table: string; key: string; where?: string } = SWEEPS[name];
  const columns = sweep.key.split(", ");
  const keyText = raw(columns.map((c, i) => `${c}::text AS "k${i}"`).join(", "));
  const key = raw(`(${sweep.key})`);
  const after =
    cursor === null
      ? sql`TRUE`
      : name === "nights"
        ? sql`${key} > (${cursor[0]}::uuid, ${cursor[1]}::date)`
        : sql`${key} > (${cursor[0]}::uuid)`;
  const where = sweep.where ? sql`${raw(sweep.where)} AND ${after}` : after;
  return sql`SELECT ${keyText} FROM ${raw(`"${sweep.table}"`)} WHERE ${where} ORDER BY ${key} LIMIT ${limit}`;
};
