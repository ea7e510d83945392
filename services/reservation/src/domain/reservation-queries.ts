import { type Delivered, type OutboxEntry, outboxInsert, recordDeliveries } from "@saga/platform/messaging";
import { empty, type Query, raw, sql } from "@saga/platform/sql";
import { traceIdOf } from "@saga/platform/tracing";
import type { ReservationStatus } from "../generated/prisma/enums.js";
import type { Booking } from "../schemas/reservations.js";

/** A booking's columns as the API answers them (dates as `YYYY-MM-DD`): the one mapping of a booking row. */
export const BOOKING = sql`"id"::text AS "id", "guest_id" AS "guestId", "room_id"::text AS "roomId",
  "guest_name" AS "guestName", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
  to_char("check_out", 'YYYY-MM-DD') AS "checkOut", "status"::text AS "status", "reason", "created_at" AS "createdAt",
  "updated_at" AS "updatedAt", "completed_at" AS "completedAt"`;

/**
 * A history entry for each row of the CTE `from` (its "id", "status" and "reason"), for `cause`: a
 * CTE of the statement that makes the change, so the entry commits with it or not at all. The
 * entry names the trace of the active span (the request's), or the reply's own (`from`'s columns).
 */
const history = (from: string, cause: string, reply?: { messageId: string; traceId: string }) => sql`
  INSERT INTO "reservation_history" ("reservation_id", "status", "reason", "cause", "message_id", "trace_id")
  SELECT "id"::uuid, "status"::text::"ReservationStatus", "reason", ${cause},
         ${reply ? raw(reply.messageId) : raw("NULL::uuid")}, ${reply ? raw(reply.traceId) : sql`${traceIdOf()}::text`}
  FROM ${raw(`"${from}"`)}`;

export interface NewBookingRow {
  id: string;
  guestId: string;
  /** The most active bookings the guest may hold, this one included. */
  maxActive: number;
  roomId: string;
  guestName: string;
  checkIn: string;
  checkOut: string;
  idempotencyKey: string | null;
  requestHash: string;
  deadlineMs: number;
}

/**
 * The booking, PENDING, and the room-reserve it owes, if the guest holds fewer than `maxActive`
 * active bookings: one statement, one round trip. The guest's counter row is locked by the
 * upsert, so concurrent bookings of one guest count one after the other; no row when the cap is met.
 */
export const insertBooking = (b: NewBookingRow, reserve: OutboxEntry): Query => sql`
  WITH "slot" AS (
    INSERT INTO "guest_bookings" ("guest_id", "active") VALUES (${b.guestId}, 1)
    ON CONFLICT ("guest_id") DO UPDATE SET "active" = "guest_bookings"."active" + 1
    WHERE "guest_bookings"."active" < ${b.maxActive}::int
    RETURNING 1
  ), "booking" AS (
    INSERT INTO "reservations" ("id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "idempotency_key",
                                "request_hash", "deadline_at", "updated_at")
    SELECT ${b.id}::uuid, ${b.guestId}, ${b.roomId}::uuid, ${b.guestName}, ${b.checkIn}::date, ${b.checkOut}::date,
           ${b.idempotencyKey}, ${b.requestHash}, now() + ${b.deadlineMs}::int * interval '1 millisecond', now()
    FROM "slot"
    RETURNING ${BOOKING}
  ), "history" AS (${history("booking", "http")}),
  "queued" AS (${outboxInsert([reserve], sql`EXISTS (SELECT 1 FROM "booking")`)})
  SELECT * FROM "booking"`;

/** An Idempotency-Key older than its time to live is forgotten, so the guest may use it again. */
export const forgetExpiredKey = (guestId: string, key: string, ttlMs: number): Query => sql`
  UPDATE "reservations" SET "idempotency_key" = NULL
  WHERE "guest_id" = ${guestId} AND "idempotency_key" = ${key}
    AND "created_at" <= now() - ${ttlMs}::int * interval '1 millisecond'`;

export const lockBooking = (id: string): Query => sql`
  SELECT ${BOOKING} FROM "reservations" WHERE "id" = ${id}::uuid FOR UPDATE`;

/** The booking becomes CANCEL_PENDING and its room-cancel is owed: sent now, again at `resendMs` if unconfirmed. */
export const markCancelPending = (id: string, resendMs: number, cancel: OutboxEntry): Query => sql`
  WITH "changed" AS (
    UPDATE "reservations"
    SET "status" = 'CANCEL_PENDING', "cancel_due_at" = now() + ${resendMs}::int * interval '1 millisecond',
        "cancel_attempts" = 1, "updated_at" = now()
    WHERE "id" = ${id}::uuid
    RETURNING ${BOOKING}
  ), "history" AS (${history("changed", "http")}), "queued" AS (${outboxInsert([cancel])})
  SELECT * FROM "changed"`;

/**
 * Records the deliveries and locks and reads every booking concerned (in id order, so concurrent
 * chunks never deadlock): `delivery` rows are the new deliveries, `booking` rows the bookings.
 */
export const deliverAndLockBookings = (delivered: Delivered<{ messageId: string; reservationId: string }>[]) => sql`
  WITH "delivery" AS (${recordDeliveries(delivered)}), "booking" AS (
    SELECT "id", "status", "created_at" FROM "reservations"
    WHERE "id" = ANY(${delivered.map((d) => d.message.reservationId)}::uuid[]) ORDER BY "id" FOR UPDATE
  )
  SELECT 'delivery' AS "kind", "message_id" AS "id", NULL AS "status", NULL::timestamptz AS "createdAt" FROM "delivery"
  UNION ALL
  SELECT 'booking', "id"::text, "status"::text, "created_at" FROM "booking"`;

export type DeliveryOrBooking = {
  kind: "delivery" | "booking";
  id: string;
  status: ReservationStatus | null;
  createdAt: Date | null;
};

export interface ResultUpdate {
  id: string;
  /** The booking leaves the active ones (FAILURE, CANCEL): its guest's count goes down. */
  leaves: boolean;
  /** The new state, or null to keep it. */
  status: ReservationStatus | null;
  reason: string | null;
  completedAt: Date | null;
  /** The room service answered CANCEL: no room-cancel is owed any more. */
  confirmsCancel: boolean;
  /** The reply that set `status`, and its trace, for the booking's history. */
  messageId: string;
  traceId: string | null;
}

/** Lowers the active count of the guests of the bookings in `changed` (a CTE: `guest_id`, `leaves`) that left. */
const freeSlots = (changed: string) => sql`
  UPDATE "guest_bookings" AS g SET "active" = g."active" - f."n"
  FROM (SELECT "guest_id", count(*)::int AS "n" FROM ${raw(`"${changed}"`)} WHERE "leaves" AND "guest_id" IS NOT NULL
        GROUP BY "guest_id") AS f
  WHERE g."guest_id" = f."guest_id"`;

/** Every booking a chunk of replies changed, and its guest's active count, in one statement. */
export const writeResults = (updates: ResultUpdate[]): Query => sql`
  WITH "changed" AS (
    UPDATE "reservations" AS r
    SET "status" = COALESCE(u."status"::"ReservationStatus", r."status"),
        "reason" = CASE WHEN u."status" IS NULL THEN r."reason" ELSE u."reason" END,
        "completed_at" = CASE WHEN u."status" IS NULL THEN r."completed_at" ELSE u."completed_at" END,
        "cancel_due_at" = CASE WHEN u."confirms_cancel" THEN NULL ELSE r."cancel_due_at" END,
        "updated_at" = now()
    FROM unnest(${updates.map((u) => u.id)}::uuid[], ${updates.map((u) => u.status)}::text[],
                ${updates.map((u) => u.reason)}::text[], ${updates.map((u) => u.completedAt)}::timestamptz[],
                ${updates.map((u) => u.confirmsCancel)}::boolean[], ${updates.map((u) => u.leaves)}::boolean[],
                ${updates.map((u) => u.messageId)}::uuid[], ${updates.map((u) => u.traceId)}::text[])
         AS u("id", "status", "reason", "completed_at", "confirms_cancel", "leaves", "message_id", "trace_id")
    WHERE r."id" = u."id"
    RETURNING r."id", r."guest_id", u."leaves", u."status", u."reason", u."message_id", u."trace_id"
  ), "freed" AS (${freeSlots("changed")}),
  "moved" AS (SELECT * FROM "changed" WHERE "status" IS NOT NULL),
  "history" AS (${history("moved", "transaction-result", { messageId: '"message_id"', traceId: '"trace_id"' })})
  SELECT count(*) FROM "changed"`;

/** A booking whose room-cancel is being sent, as the statement that marks it returns it. */
export type OwedCancel = Pick<Booking, "id" | "roomId" | "checkIn" | "checkOut"> & { createdAt: Date };

const OWED = sql`"id"::text AS "id", "room_id"::text AS "roomId",
  to_char("check_in", 'YYYY-MM-DD') AS "checkIn", to_char("check_out", 'YYYY-MM-DD') AS "checkOut",
  "created_at" AS "createdAt"`;

/**
 * Up to `limit` PENDING bookings past their deadline become FAILURE TIMEOUT, each owing a
 * room-cancel; their guests' active counts go down.
 */
export const expireOverdue = (limit: number, resendMs: number): Query => sql`
  WITH "changed" AS (
    UPDATE "reservations" AS r
    SET "status" = 'FAILURE', "reason" = 'TIMEOUT', "completed_at" = now(), "updated_at" = now(),
        "cancel_due_at" = now() + ${resendMs}::int * interval '1 millisecond', "cancel_attempts" = 1
    FROM (SELECT "id" FROM "reservations" WHERE "status" = 'PENDING' AND "deadline_at" < now()
          ORDER BY "deadline_at" LIMIT ${limit} FOR UPDATE SKIP LOCKED) AS overdue
    WHERE r."id" = overdue."id"
    RETURNING r.*, true AS "leaves"
  ), "freed" AS (${freeSlots("changed")}), "history" AS (${history("changed", "deadline")})
  SELECT ${OWED} FROM "changed"`;

/** Up to `limit` bookings whose room-cancel is due again: the next try waits twice as long, at most `maxMs`. */
export const claimDueCancels = (limit: number, resendMs: number, maxMs: number): Query => sql`
  WITH "claimed" AS (
    UPDATE "reservations" AS r
    SET "cancel_attempts" = r."cancel_attempts" + 1, "updated_at" = now(),
        "cancel_due_at" = now() + LEAST(${resendMs}::float8 * power(2, r."cancel_attempts"), ${maxMs}::float8)
                                  * interval '1 millisecond'
    FROM (SELECT "id" FROM "reservations" WHERE "cancel_due_at" <= now()
          ORDER BY "cancel_due_at" LIMIT ${limit} FOR UPDATE SKIP LOCKED) AS owed
    WHERE r."id" = owed."id"
    RETURNING r.*
  ), "history" AS (${history("claimed", "cancel-resend")})
  SELECT ${OWED} FROM "claimed"`;

export const readBooking = (id: string): Query => sql`SELECT ${BOOKING} FROM "reservations" WHERE "id" = ${id}::uuid`;

/** The booking a guest made with an Idempotency-Key, with the hash of the request that made it. */
export const bookingByKey = (guestId: string, key: string): Query => sql`
  SELECT ${BOOKING}, "request_hash" AS "requestHash" FROM "reservations"
  WHERE "guest_id" = ${guestId} AND "idempotency_key" = ${key}`;

/** A page of a guest's bookings, newest first, after `cursor` (keyset: the index on guest, time and id). */
export const guestBookings = (
  guestId: string,
  status: ReservationStatus | undefined,
  cursor: { createdAt: Date; id: string } | undefined,
  limit: number,
): Query => sql`
  SELECT ${BOOKING} FROM "reservations"
  WHERE "guest_id" = ${guestId}
    ${status ? sql`AND "status" = ${status}::"ReservationStatus"` : empty}
    ${cursor ? sql`AND ("created_at", "id") < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)` : empty}
  ORDER BY "created_at" DESC, "id" DESC
  LIMIT ${limit}`;
