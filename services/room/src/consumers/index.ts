import { roomCancelMessage, roomReserveMessage } from "@saga/contracts";
import { type SqlTx, sqlTransactions, startConsumer, topicHandler } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { cancelRooms, reserveRooms } from "../domain/holds.js";

/** Partitions consumed concurrently (3), plus one for a poisoned chunk retried message by message. */
const CONSUMER_POOL_SIZE = 4;

declare module "fastify" {
  interface FastifyInstance {
    consumers: { isJoined(): boolean };
  }
}

/** Kafka entry points of the room service: room-reserve and room-cancel. */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.roomConfig;
    // Plain pg transactions on a small pool of the consumers' own: every message crosses one.
    const transactions = sqlTransactions(config.databaseUrl, CONSUMER_POOL_SIZE);
    const deps = { db: app.roomDb, topics: config.topics };
    const consumer = await startConsumer({
      kafka: app.kafka.client,
      producer: app.kafka.producer,
      groupId: config.kafka.groupId,
      deadLetterTopic: config.topics.deadLetter,
      service: "room-service",
      log: app.log.child({ component: "consumer" }),
      transaction: (fn) => transactions.run(fn),
      lingerMs: config.kafka.consumerLingerMs,
      handlers: [
        topicHandler({
          topic: config.topics.roomReserve,
          schema: roomReserveMessage,
          orderKey: (message) => message.roomId,
          handle: (tx: SqlTx, messages) => reserveRooms(tx, deps, messages),
        }),
        topicHandler({
          topic: config.topics.roomCancel,
          schema: roomCancelMessage,
          orderKey: (message) => message.roomId,
          handle: (tx: SqlTx, messages) => cancelRooms(tx, deps, messages),
        }),
      ],
    });
    app.decorate("consumers", consumer);
    app.addHook("onClose", async () => {
      await consumer.stop();
      await transactions.close();
    });
  },
  { name: "consumers", dependencies: ["database", "kafka"] },
);
