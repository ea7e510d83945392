import { transactionResultMessage } from "@saga/contracts";
import { consumersPlugin, type SqlTx, topicHandler } from "@saga/platform";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { applyResults } from "../domain/reservations.js";

/** Kafka entry point of the reservation service: the room service's replies. */
export default fp(
  async (app: FastifyInstance) => {
    const config = app.reservationConfig;
    await app.register(consumersPlugin, {
      config,
      service: "reservation-service",
      handlers: [
        topicHandler({
          topic: config.topics.transactionResult,
          schema: transactionResultMessage,
          orderKey: (message) => message.reservationId,
          id: (message) => message.messageId,
          handle: (tx: SqlTx, messages) => applyResults(tx, messages),
        }),
      ],
    });
  },
  { name: "reservation-consumers", dependencies: ["database", "kafka"] },
);
