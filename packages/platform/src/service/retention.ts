import type pg from "pg";
import { prepared, raw, sql } from "../sql/sql.js";

/** Rows of `table` whose `column` (a timestamp) is older than the horizon can go, where `where` holds. */
export interface PruneTarget {
  table: string;
  column: string;
  where?: string;
}

/** What both services keep for a while only: deliveries seen, and messages the broker refused. */
export const PLATFORM_TARGETS: PruneTarget[] = [
  { table: "inbox", column: "processed_at" },
  { table: "outbox_refused", column: "refused_at" },
];

/** Deletes at most `limit` rows of the target older than `cutoff`: a short transaction of its own. */
function pruneStatement(target: PruneTarget, cutoff: Date, limit: number) {
  // The table, column and condition are the code's own constants, never input.
  const table = raw(`"${target.table}"`);
  const where = raw(target.where ? `AND ${target.where}` : "");
  return sql`
    DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM ${table} WHERE ${raw(`"${target.column}"`)} < ${cutoff} ${where} LIMIT ${limit}))`;
}

/**
 * One round of pruning: at most `limit` rows of each target. Returns the most any target gave up,
 * so that a round of `limit` means one of them may have more.
 */
export async function pruneOnce(
  pool: pg.Pool,
  targets: PruneTarget[],
  horizonMs: number,
  limit: number,
  onBatch: (table: string, deleted: number) => void = () => {},
): Promise<number> {
  const cutoff = new Date(Date.now() - horizonMs);
  let most = 0;
  for (const target of targets) {
    const { rowCount } = await pool.query(prepared(pruneStatement(target, cutoff, limit)));
    onBatch(target.table, rowCount ?? 0);
    most = Math.max(most, rowCount ?? 0);
  }
  return most;
}
