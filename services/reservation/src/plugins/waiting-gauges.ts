import { cached, type ServiceMetrics } from "@saga/platform/metrics";
import { type Query, type Statements, sql } from "@saga/platform/sql";
import { FINAL_STATUSES } from "../domain/saga.js";
import { ReservationStatus } from "../generated/prisma/enums.js";

/** The states a booking waits in: any but the final ones. */
const WAITING = Object.values(ReservationStatus).filter((s) => !(FINAL_STATUSES as readonly string[]).includes(s));

/**
 * The states the deadline sweep acts on (see lockOverdue): their deadline is `deadline_at` (a date
 * change sent back past it stays overdue until the room service answers).
 */
const DEADLINED = ["PENDING", "AWAITING_PAYMENT", "CHANGE_PENDING"];

/**
 * Per waiting state: its bookings, those past their deadline, and how far past it the furthest is.
 * A compensating booking (a room-cancel or refund owed) is past its deadline once `compensationMs`
 * of re-sends went unconfirmed since it entered its state (its first history entry in it).
 */
const waitingBookings = (compensationMs: number): Query => sql`
  SELECT "status", count(*)::int AS "waiting", count(*) FILTER (WHERE "due" < now())::int AS "overdue",
         GREATEST(EXTRACT(EPOCH FROM now() - min("due")), 0)::float8 AS "seconds"
  FROM (
    SELECT r."status"::text AS "status",
           CASE WHEN r."status"::text = ANY(${DEADLINED}::text[]) THEN r."deadline_at"
                ELSE COALESCE((SELECT min(h."at") FROM "reservation_history" h
                               WHERE h."reservation_id" = r."id" AND h."status" = r."status"), r."updated_at")
                     + ${compensationMs}::int * interval '1 millisecond'
           END AS "due"
    FROM "reservations" r WHERE r."status" = ANY(${WAITING}::"ReservationStatus"[])
  ) AS w
  GROUP BY "status"`;

interface Waiting {
  status: string;
  waiting: number;
  overdue: number;
  seconds: number;
}

/** The waiting gauges, every waiting state present (at 0 when none waits in it), from one query a second. */
export function waitingGauges(metrics: ServiceMetrics, db: Statements, compensationMs: number): void {
  const read = cached(async () => {
    const rows = await db.rows<Waiting>(waitingBookings(compensationMs));
    return WAITING.map(
      (status) => rows.find((r) => r.status === status) ?? { status, waiting: 0, overdue: 0, seconds: 0 },
    );
  }, 1_000);
  const gauge = (name: string, help: string, value: (row: Waiting) => number) =>
    metrics.scraped(
      name,
      help,
      async () => (await read()).map((row) => ({ labels: { status: row.status }, value: value(row) })),
      ["status"],
    );
  gauge("saga_waiting_bookings", "Bookings in each waiting state now", (r) => r.waiting);
  gauge("saga_overdue_bookings", "Bookings past their deadline, by waiting state", (r) => r.overdue);
  gauge(
    "saga_longest_overdue_seconds",
    "How far past its deadline the furthest booking of each waiting state is (0 when none is past it)",
    (r) => r.seconds,
  );
}
