import { docsPlugin } from "@saga/platform/http";
import { metricsPlugin } from "@saga/platform/metrics";
import { PLATFORM_TARGETS, servicePlugin } from "@saga/platform/service";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ReservationConfig } from "./config.js";
import { reservationConsumers } from "./consumers/index.js";
import domain from "./plugins/domain.js";
import database from "./plugins/prisma.js";
import roomCatalog from "./plugins/room-catalog.js";
import sagaMetrics from "./plugins/saga-metrics.js";
import sagaSweep from "./plugins/saga-sweep.js";
import reservations from "./routes/reservations.js";

declare module "fastify" {
  interface FastifyInstance {
    reservationConfig: ReservationConfig;
  }
}

/**
 * The reservation service as a plugin: its database and domain, the platform's service base (Kafka,
 * outbox, consumers, retention, health), the sweeps of its deadlines and cancels, then the routes.
 */
export default fp(
  async (app: FastifyInstance, { config }: { config: ReservationConfig }) => {
    app.decorate("reservationConfig", config);
    await app.register(docsPlugin, {
      title: "Reservation service",
      description: "Guests book and cancel rooms; each booking is a saga with the room service, over Kafka.",
      version: "0.1.0",
      localUrl: "http://localhost:3000",
    });
    await app.register(database, { databaseUrl: config.databaseUrl, poolSize: config.dbPoolSize });
    await app.register(metricsPlugin);
    await app.register(sagaMetrics);
    await app.register(roomCatalog);
    await app.register(domain);
    await app.register(servicePlugin, {
      config,
      handlers: reservationConsumers(app),
      retention: PLATFORM_TARGETS,
      db: app.reservationSql,
    });
    await app.register(sagaSweep);
    await app.register(reservations);
  },
  { name: "reservation-service" },
);

export { loadConfig, type ReservationConfig } from "./config.js";
export { FINAL_STATUSES } from "./domain/saga.js";
export type { Booking } from "./schemas/reservations.js";
