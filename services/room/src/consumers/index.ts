import { roomCancelMessage, roomReserveMessage } from "@saga/contracts";
import { startConsumer, TRANSACTION_OPTIONS, topicHandler } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { cancelRoom, reserveRoom, type Tx } from "../domain/holds.js";

declare module "fastify" {
  interface FastifyInstance {
    consumers: { isJoined(): boolean };
  }
}

/** Kafka entry points of the room service: room-reserve and room-cancel. */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.roomConfig;
    const deps = { db: app.roomDb, topics: config.topics };
    const consumer = await startConsumer({
      kafka: app.kafka.client,
      producer: app.kafka.producer,
      groupId: config.kafka.groupId,
      deadLetterTopic: config.topics.deadLetter,
      service: "room-service",
      log: app.log.child({ component: "consumer" }),
      transaction: (fn) => app.roomDb.$transaction(fn, TRANSACTION_OPTIONS),
      handlers: [
        topicHandler({
          topic: config.topics.roomReserve,
          schema: roomReserveMessage,
          orderKey: (message) => message.roomId,
          handle: (tx: Tx, message, { topic }) => reserveRoom(tx, deps, message, topic),
        }),
        topicHandler({
          topic: config.topics.roomCancel,
          schema: roomCancelMessage,
          orderKey: (message) => message.roomId,
          handle: (tx: Tx, message, { topic }) => cancelRoom(tx, deps, message, topic),
        }),
      ],
    });
    app.decorate("consumers", consumer);
    app.addHook("onClose", () => consumer.stop());
  },
  { name: "consumers", dependencies: ["database", "kafka"] },
);
