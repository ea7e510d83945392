import { paymentResultMessage, transactionResultMessage } from "@saga/contracts";
import { messageHandler } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";

/** Kafka entry points of the reservation service: the room service's replies, and the payment service's. */
export const reservationConsumers = (app: FastifyInstance) => [
  messageHandler({
    topic: app.reservationConfig.topics.transactionResult,
    schema: transactionResultMessage,
    orderKey: (message) => message.reservationId,
    handle: async (tx: SqlTransaction, messages) => {
      const finished = await app.reservations.applyRoomReplies(tx, messages);
      return () => app.sagaOutcomes.record(finished);
    },
  }),
  messageHandler({
    topic: app.reservationConfig.topics.paymentResult,
    schema: paymentResultMessage,
    orderKey: (message) => message.reservationId,
    handle: async (tx: SqlTransaction, messages) => {
      const finished = await app.reservations.applyPaymentReplies(tx, messages);
      return () => app.sagaOutcomes.record(finished);
    },
  }),
];
