import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createReservations, type Reservations } from "../domain/reservations.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The saga's reservation side: what routes, consumers and sweeps call. */
    reservations: Reservations;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    const config = app.reservationConfig;
    app.decorate(
      "reservations",
      createReservations({
        db: app.reservationDb,
        sql: app.reservationSql,
        topics: config.topics,
        sagaDeadlineMs: config.sagaDeadlineMs,
        paymentDeadlineMs: config.saga.paymentDeadlineMs,
        cancelResendMs: config.saga.cancelResendMs,
        cancelResendMaxMs: config.saga.cancelResendMaxMs,
        maxActivePerGuest: config.saga.maxActivePerGuest,
        idempotencyKeyTtlMs: config.saga.idempotencyKeyTtlMs,
        multiRoomMessages: config.saga.multiRoomMessages,
        dateChanges: config.saga.dateChanges,
        roomCatalog: app.roomCatalog,
      }),
    );
  },
  { name: "reservations", dependencies: ["database", "room-catalog"] },
);
