import { startSweep } from "@saga/platform/service";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * The saga's clock: gives up on bookings whose reply outlived its deadline, and sends again the
 * room-cancels, refunds and date changes' messages not answered.
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
          const { handled, finished } = await app.reservations.expireOverdue(batchSize);
          app.sagaOutcomes.record(finished);
          return handled;
        },
      }),
      ...(["cancel", "refund", "change"] as const).map((what) =>
        startSweep({
          name: `${what}-resend`,
          intervalMs,
          batchSize,
          log,
          batch: () => app.reservations.resend(what, batchSize),
        }),
      ),
    ];
    app.addHook("onClose", async () => {
      await Promise.all(sweeps.map((sweep) => sweep.stop()));
    });
  },
  { name: "saga-sweep", dependencies: ["reservations", "saga-metrics"] },
);
