import { docsPlugin } from "@saga/platform/http";
import { metricsPlugin } from "@saga/platform/metrics";
import { servicePlugin } from "@saga/platform/service";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { RoomConfig } from "./config.js";
import { roomConsumers } from "./consumers/index.js";
import { roomRetention } from "./domain/retention.js";
import domain from "./plugins/domain.js";
import database from "./plugins/prisma.js";
import rooms from "./routes/rooms.js";

declare module "fastify" {
  interface FastifyInstance {
    roomConfig: RoomConfig;
  }
}

/**
 * The room service as a plugin: its database and domain, the platform's service base (Kafka, outbox,
 * consumers, retention, health), then the routes.
 */
export default fp(
  async (app: FastifyInstance, { config }: { config: RoomConfig }) => {
    app.decorate("roomConfig", config);
    await app.register(docsPlugin, {
      title: "Room service",
      description: "Rooms, their nights' availability, and what the saga did to each hold.",
      version: "0.1.0",
      localUrl: "http://localhost:3001",
    });
    await app.register(database, { databaseUrl: config.databaseUrl, poolSize: config.dbPoolSize });
    await app.register(metricsPlugin);
    await app.register(domain);
    await app.register(servicePlugin, {
      config,
      handlers: roomConsumers(app),
      retention: roomRetention,
      db: app.roomSql,
    });
    await app.register(rooms);
  },
  { name: "room-service" },
);

export { loadConfig, type RoomConfig } from "./config.js";
