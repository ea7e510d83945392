import { transactionResultMessage } from "@saga/contracts";
import { startConsumer, TRANSACTION_OPTIONS, topicHandler } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { applyResult, type Tx } from "../domain/reservations.js";

declare module "fastify" {
  interface FastifyInstance {
    consumers: { isJoined(): boolean };
  }
}

/** Kafka entry point of the reservation service: the room service's replies. */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.reservationConfig;
    const consumer = await startConsumer({
      kafka: app.kafka.client,
      producer: app.kafka.producer,
      groupId: config.kafka.groupId,
      deadLetterTopic: config.topics.deadLetter,
      service: "reservation-service",
      log: app.log.child({ component: "consumer" }),
      transaction: (fn) => app.reservationDb.$transaction(fn, TRANSACTION_OPTIONS),
      handlers: [
        topicHandler({
          topic: config.topics.transactionResult,
          schema: transactionResultMessage,
          orderKey: (message) => message.reservationId,
          handle: (tx: Tx, message, { topic }) => applyResult(tx, message, topic),
        }),
      ],
    });
    app.decorate("consumers", consumer);
    app.addHook("onClose", () => consumer.stop());
  },
  { name: "consumers", dependencies: ["database", "kafka"] },
);
