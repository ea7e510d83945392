import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RetentionConfig } from "../config/service.js";
import { openPool } from "../sql/connections.js";
import { type PruneTarget, pruneOnce } from "./retention.js";
import { startSweep } from "./sweep.js";

/**
 * Prunes what is older than the retention horizon, in small batches of their own transaction on a
 * connection of their own, so the message path never waits on them: the inbox only has to remember
 * a delivery for as long as Kafka can deliver it again, a released hold as long as a late reserve
 * can come (see RETENTION_HORIZON_MS).
 */
export const retentionPlugin = fp<{ databaseUrl: string; config: RetentionConfig; targets: PruneTarget[] }>(
  async (app: FastifyInstance, { databaseUrl, config, targets }) => {
    const log = app.log.child({ component: "retention" });
    const pool = openPool(databaseUrl, "background", 1, log);
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
