import { paymentRequestMessage } from "@saga/contracts";
import { messageHandler } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";

/** Kafka entry point of the payment service: the charges and refunds the reservation service asks for. */
export const paymentConsumers = (app: FastifyInstance) => [
  messageHandler({
    topic: app.paymentConfig.topics.paymentRequest,
    schema: paymentRequestMessage,
    orderKey: (message) => message.reservationId,
    handle: async (tx: SqlTransaction, messages) => {
      const outcomes = await app.payments.apply(tx, messages);
      return () => app.paymentOutcomes.record(outcomes);
    },
  }),
];
