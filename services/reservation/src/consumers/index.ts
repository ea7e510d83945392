import { transactionResultMessage } from "@saga/contracts";
import { messageHandler, type SqlTransaction } from "@saga/platform";
import type { FastifyInstance } from "fastify";

/** Kafka entry point of the reservation service: the room service's replies. */
export const reservationConsumers = (app: FastifyInstance) => [
  messageHandler({
    topic: app.reservationConfig.topics.transactionResult,
    schema: transactionResultMessage,
    orderKey: (message) => message.reservationId,
    handle: (tx: SqlTransaction, messages) => app.reservations.applyResults(tx, messages),
  }),
];
