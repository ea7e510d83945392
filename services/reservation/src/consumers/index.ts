import { transactionResultMessage } from "@saga/contracts";
import { messageHandler } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";

/** Kafka entry point of the reservation service: the room service's replies. */
export const reservationConsumers = (app: FastifyInstance) => [
  messageHandler({
    topic: app.reservationConfig.topics.transactionResult,
    schema: transactionResultMessage,
    orderKey: (message) => message.reservationId,
    handle: async (tx: SqlTransaction, messages) => {
      const finished = await app.reservations.applyResults(tx, messages);
      return () => app.sagaOutcomes.record(finished);
    },
  }),
];
