import { roomCancelMessage, roomReserveMessage } from "@saga/contracts";
import { consumersPlugin, type SqlTx, topicHandler } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { cancelRooms, reserveRooms } from "../domain/holds.js";

/** Kafka entry points of the room service: room-reserve and room-cancel. */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.roomConfig;
    const deps = { topics: config.topics };
    await app.register(consumersPlugin, {
      config,
      service: "room-service",
      handlers: [
        topicHandler({
          topic: config.topics.roomReserve,
          schema: roomReserveMessage,
          orderKey: (message) => message.roomId,
          id: (message) => message.messageId,
          handle: (tx: SqlTx, messages) => reserveRooms(tx, deps, messages),
        }),
        topicHandler({
          topic: config.topics.roomCancel,
          schema: roomCancelMessage,
          orderKey: (message) => message.roomId,
          id: (message) => message.messageId,
          handle: (tx: SqlTx, messages) => cancelRooms(tx, deps, messages),
        }),
      ],
    });
  },
  { name: "room-consumers", dependencies: ["database", "kafka"] },
);
