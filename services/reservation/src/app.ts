import { healthChecks, healthRoutes, PLATFORM_TARGETS, registerMessaging, retentionPlugin } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ReservationConfig } from "./config.js";
import consumers from "./consumers/index.js";
import database from "./plugins/prisma.js";
import sagaDeadline from "./plugins/saga-deadline.js";
import reservations from "./routes/reservations.js";

declare module "fastify" {
  interface FastifyInstance {
    reservationConfig: ReservationConfig;
  }
}

/** The reservation service as a plugin: its database, Kafka and the outbox, the consumers, the saga deadline, then the routes. */
export default fp(
  async (app: FastifyInstance, { config }: { config: ReservationConfig }) => {
    app.decorate("reservationConfig", config);
    await app.register(database, { databaseUrl: config.databaseUrl, poolSize: config.dbPoolSize });
    await registerMessaging(app, config, [config.topics.roomReserve, config.topics.roomCancel]);
    await app.register(consumers);
    await app.register(sagaDeadline);
    await app.register(retentionPlugin, {
      databaseUrl: config.databaseUrl,
      config: config.retention,
      targets: PLATFORM_TARGETS,
    });
    await app.register(healthRoutes, healthChecks(app, app.reservationDb));
    await app.register(reservations);
  },
  { name: "reservation-service" },
);

export { loadConfig, type ReservationConfig } from "./config.js";
