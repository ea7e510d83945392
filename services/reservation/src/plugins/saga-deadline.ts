import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { expireOverdue } from "../domain/reservations.js";

/** Periodically fails bookings whose saga outlived its deadline (see expireOverdue). */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.reservationConfig;
    const deps = {
      db: app.reservationDb,
      sql: app.reservationSql,
      topics: config.topics,
      sagaDeadlineMs: config.saga.deadlineMs,
    };
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running
        .then(() => expireOverdue(deps))
        .then((expired) => expired > 0 && app.log.warn({ expired }, "bookings failed with TIMEOUT"))
        .catch((err: Error) => app.log.warn({ err: err.message }, "saga deadline sweep failed"));
    }, config.saga.sweepMs);
    app.addHook("onClose", async () => {
      clearInterval(timer);
      await running;
    });
  },
  { name: "saga-deadline", dependencies: ["database"] },
);
