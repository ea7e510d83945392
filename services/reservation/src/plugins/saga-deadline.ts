import { startSweep } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { expireOverdue, resendCancels } from "../domain/reservations.js";

/**
 * The saga's clock: fails bookings whose saga outlived its deadline (see expireOverdue) and sends
 * again the room-cancels the room service has not confirmed (see resendCancels).
 */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.reservationConfig;
    const deps = {
      db: app.reservationDb,
      sql: app.reservationSql,
      topics: config.topics,
      sagaDeadlineMs: config.sagaDeadlineMs,
      cancelResendMs: config.saga.cancelResendMs,
      cancelResendMaxMs: config.saga.cancelResendMaxMs,
    };
    const log = app.log.child({ component: "saga-sweep" });
    const { sweepMs: intervalMs, sweepBatch: batchSize } = config.saga;
    const sweeps = [
      startSweep({ name: "deadline", intervalMs, batchSize, log, batch: () => expireOverdue(deps, batchSize) }),
      startSweep({ name: "cancel-resend", intervalMs, batchSize, log, batch: () => resendCancels(deps, batchSize) }),
    ];
    app.addHook("onClose", async () => {
      await Promise.all(sweeps.map((sweep) => sweep.stop()));
    });
  },
  { name: "saga-deadline", dependencies: ["database"] },
);
