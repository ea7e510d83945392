import { healthChecks, healthRoutes, registerMessaging, retentionPlugin } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RoomConfig } from "./config.js";
import consumers from "./consumers/index.js";
import { roomRetention } from "./domain/retention.js";
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
    await registerMessaging(app, config, [config.topics.transactionResult]);
    await app.register(consumers);
    await app.register(retentionPlugin, {
      databaseUrl: config.databaseUrl,
      config: config.retention,
      targets: roomRetention,
    });
    await app.register(healthRoutes, healthChecks(app, app.roomDb));
    await app.register(rooms);
  },
  { name: "room-service" },
);

export { loadConfig, type RoomConfig } from "./config.js";
