import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createHolds, type Holds } from "../domain/holds.js";
import { createRooms, type Rooms } from "../domain/rooms.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Room types and their availability: what the routes call. */
    rooms: Rooms;
    /** The saga's room side, inside a consumer's transaction: what the consumers call. */
    holds: Holds;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    app.decorate("rooms", createRooms({ db: app.roomDb, sql: app.roomSql }));
    app.decorate("holds", createHolds({ topics: app.roomConfig.topics }));
  },
  { name: "room-domain", dependencies: ["database"] },
);
