import { FAILURE_REASONS } from "@saga/contracts";
import { countAndAgeGauges } from "@saga/platform/metrics";
import { sql } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Finished } from "../domain/saga.js";
import { waitingGauges } from "./waiting-gauges.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Counts bookings that reached a final state; called once what made them final committed. */
    sagaOutcomes: { record(finished: Finished[]): void };
  }
}

/** Seconds, from 10 ms (a saga on an idle machine) to the default deadline's 30 s and past it. */
const SAGA_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Every final state with every reason it is reached with: the room service's, and the saga's own. */
const OUTCOMES = [
  { status: "SUCCESS", reason: "" },
  { status: "CANCEL", reason: "" },
  ...[...FAILURE_REASONS, "TIMEOUT", "PAYMENT_DECLINED", "PAYMENT_TIMEOUT"].map((reason) => ({
    status: "FAILURE",
    reason,
  })),
];

/**
 * The reservation side's metrics: final outcomes by status and reason, how long the booking saga
 * took (PENDING to SUCCESS or FAILURE; a cancel is counted, not timed), how many bookings are
 * PENDING now and for how long the oldest has been (at scrape time, from the partial index the
 * deadline sweep uses), and per waiting state how many wait and how many are past their deadline.
 */
export default fp(
  async (app: FastifyInstance) => {
    const metrics = app.serviceMetrics;
    const outcomes = metrics.counter(
      "saga_bookings_total",
      "Bookings that reached a final state",
      ["status", "reason"],
      OUTCOMES,
    );
    const duration = metrics.histogram("saga_duration_seconds", "From PENDING to SUCCESS or FAILURE", SAGA_BUCKETS);
    countAndAgeGauges(
      metrics,
      app.reservationSql,
      sql`FROM "reservations" WHERE "status" = 'PENDING'`,
      { name: "saga_pending_bookings", help: "Bookings PENDING now" },
      { name: "saga_oldest_pending_seconds", help: "Age of the oldest PENDING booking (0 when none)" },
    );
    waitingGauges(metrics, app.reservationSql, app.reservationConfig.saga.cancelResendMaxMs);
    app.decorate("sagaOutcomes", {
      record(finished: Finished[]) {
        for (const { status, reason, createdAt, completedAt } of finished) {
          outcomes.inc({ status, reason: reason ?? "" });
          if (status !== "CANCEL") duration.observe((completedAt.getTime() - createdAt.getTime()) / 1000);
        }
      },
    });
  },
  { name: "saga-metrics", dependencies: ["database", "metrics"] },
);
