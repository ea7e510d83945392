import { startSweep } from "@saga/platform/service";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * The saga's clock: fails bookings whose saga outlived its deadline, and sends again the
 * room-cancels the room service has not confirmed.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { sweepMs: intervalMs, sweepBatch: batchSize } = app.reservationConfig.saga;
    const log = app.log.child({ component: "saga-sweep" });
    const sweeps = [
      startSweep({
        name: "deadline",
        intervalMs,
        batchSize,
        log,
        batch: async () => {
          const expired = await app.reservations.expireOverdue(batchSize);
          const completedAt = new Date();
          app.sagaOutcomes.record(
            expired.map(({ createdAt }) => ({ status: "FAILURE", reason: "TIMEOUT", createdAt, completedAt })),
          );
          return expired.length;
        },
      }),
      startSweep({
        name: "cancel-resend",
        intervalMs,
        batchSize,
        log,
        batch: async () => (await app.reservations.resendCancels(batchSize)).length,
      }),
    ];
    app.addHook("onClose", async () => {
      await Promise.all(sweeps.map((sweep) => sweep.stop()));
    });
  },
  { name: "saga-sweep", dependencies: ["reservations", "saga-metrics"] },
);
