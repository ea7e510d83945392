import { transactionResultMessage } from "@saga/contracts";
import { type SqlTx, sqlTransactions, startConsumer, topicHandler } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { applyResults } from "../domain/reservations.js";

/** Partitions consumed concurrently (3), plus one for a poisoned chunk retried message by message. */
const CONSUMER_POOL_SIZE = 4;

declare module "fastify" {
  interface FastifyInstance {
    consumers: { isJoined(): boolean };
  }
}

/** Kafka entry point of the reservation service: the room service's replies. */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.reservationConfig;
    // Plain pg transactions on a small pool of the consumers' own: every message crosses one.
    const transactions = sqlTransactions(config.databaseUrl, CONSUMER_POOL_SIZE);
    const consumer = await startConsumer({
      kafka: app.kafka.client,
      producer: app.kafka.producer,
      groupId: config.kafka.groupId,
      deadLetterTopic: config.topics.deadLetter,
      service: "reservation-service",
      log: app.log.child({ component: "consumer" }),
      transaction: (fn) => transactions.run(fn),
      lingerMs: config.kafka.consumerLingerMs,
      handlers: [
        topicHandler({
          topic: config.topics.transactionResult,
          schema: transactionResultMessage,
          orderKey: (message) => message.reservationId,
          handle: (tx: SqlTx, messages) => applyResults(tx, messages),
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
