import { healthRoutes, readinessChecks, registerMessaging } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RoomConfig } from "./config.js";
import consumers from "./consumers/index.js";
import database from "./plugins/prisma.js";
import rooms from "./routes/rooms.js";

declare module "fastify" {
  interface FastifyInstance {
    roomConfig: RoomConfig;
  }
}

/** The room service as a plugin: its database, Kafka and the outbox, the consumers, then the routes. */
export default fp(
  async (app: FastifyInstance, { config }: { config: RoomConfig }) => {
    app.decorate("roomConfig", config);
    await app.register(database, { databaseUrl: config.databaseUrl, poolSize: config.dbPoolSize });
    await registerMessaging(app, config);
    await app.register(consumers);
    await app.register(healthRoutes, { checks: readinessChecks(app, app.roomDb, app.consumers) });
    await app.register(rooms);
  },
  { name: "room-service" },
);

export { loadConfig, type RoomConfig } from "./config.js";
