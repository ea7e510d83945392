import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import pg from "pg";
import type { RetentionConfig } from "./config.js";
import { prepared } from "./sql.js";
import { startSweep } from "./sweep.js";

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
export function pruneStatement(target: PruneTarget, cutoff: Date, limit: number): pg.QueryConfig {
  const where = target.where ? ` AND ${target.where}` : "";
  return prepared(
    `DELETE FROM "${target.table}" WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM "${target.table}" WHERE "${target.column}" < $1${where} LIMIT $2))`,
    [cutoff, limit],
  );
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
    const { rowCount } = await pool.query(pruneStatement(target, cutoff, limit));
    onBatch(target.table, rowCount ?? 0);
    most = Math.max(most, rowCount ?? 0);
  }
  return most;
}

/**
 * Prunes what is older than the retention horizon, in small batches of their own transaction on a
 * connection of their own, so the message path never waits on them: the inbox only has to remember
 * a delivery for as long as Kafka can deliver it again, a released hold as long as a late reserve
 * can come (see RETENTION_HORIZON_MS).
 */
export const retentionPlugin = fp<{ databaseUrl: string; config: RetentionConfig; targets: PruneTarget[] }>(
  async (app: FastifyInstance, { databaseUrl, config, targets }) => {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, statement_timeout: 30_000 });
    pool.on("error", () => {});
    const log: FastifyBaseLogger = app.log.child({ component: "retention" });
    const sweep = startSweep({
      name: "retention",
      intervalMs: config.sweepMs,
      batchSize: config.batchSize,
      log,
      batch: () => pruneOnce(pool, targets, config.horizonMs, config.batchSize),
    });
    app.addHook("onClose", async () => {
      await sweep.stop();
      await pool.end();
    });
  },
  { name: "retention" },
);
