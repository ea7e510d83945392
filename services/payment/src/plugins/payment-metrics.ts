import { DECLINE_REASONS } from "@saga/contracts";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Outcome } from "../domain/payments.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Counts what payment requests did; called once their transaction committed. */
    paymentOutcomes: { record(outcomes: Outcome[]): void };
  }
}

/**
 * The payment side's metrics: requests by outcome (CHARGED, DECLINED with its reason, REFUNDED,
 * ADJUSTED),
 * and the minor units charged and refunded, by currency.
 */
export default fp(
  async (app: FastifyInstance) => {
    const metrics = app.serviceMetrics;
    const outcomes = metrics.counter(
      "payments_total",
      "Payment requests applied, by outcome",
      ["status", "reason"],
      [
        { status: "CHARGED", reason: "" },
        { status: "REFUNDED", reason: "" },
        { status: "ADJUSTED", reason: "" },
        ...DECLINE_REASONS.map((reason) => ({ status: "DECLINED", reason })),
        ...DECLINE_REASONS.map((reason) => ({ status: "ADJUST_DECLINED", reason })),
      ],
    );
    // Not started at zero: its currencies are any of ISO 4217's, known only once a room is priced in one.
    const amounts = metrics.counter(
      "payment_amount_minor_units_total",
      "Money moved by bookings, in minor units of its currency: charged, refunded",
      ["kind", "currency"],
    );
    app.decorate("paymentOutcomes", {
      record(done: Outcome[]) {
        for (const { status, reason, currency, charged, refunded } of done) {
          outcomes.inc({ status, reason: reason ?? "" });
          if (charged) amounts.inc({ kind: "charged", currency: currency ?? "" }, charged);
          if (refunded) amounts.inc({ kind: "refunded", currency: currency ?? "" }, refunded);
        }
      },
    });
  },
  { name: "payment-metrics", dependencies: ["metrics"] },
);
