import type { HeldPrice, RoomLine } from "@saga/contracts";
import { type Delivered, type OutboxEntry, outboxInsert, recordDeliveries } from "@saga/platform/messaging";
import { empty, type Query, raw, sql } from "@saga/platform/sql";
import { traceIdOf } from "@saga/platform/tracing";
import type { ReservationStatus } from "../generated/prisma/enums.js";
import type { LastChange, PendingChange, Stay } from "./saga.js";

/** Why a booking's state changed: who or what changed it (the history's `cause`). */
export type HistoryCause = "http" | "transaction-result" | "payment-result" | "deadline";

/** An amount of the booking's price's currency, or null when there is none. */
const inCurrency = (amount: string) =>
  raw(`CASE WHEN "price" IS NULL OR ${amount} IS NULL THEN NULL
       ELSE jsonb_build_object('amount', ${amount}, 'currency', "price"->'currency') END`);

/** The rooms of a booking: its `rooms`, or one unit of its room. */
const ROOMS = raw(`COALESCE("rooms", jsonb_build_array(jsonb_build_object('roomId', "room_id", 'quantity', 1)))`);

/**
 * A booking's columns as the API answers them (dates as `YYYY-MM-DD`, money as `{ amount, currency }`
 * in minor units): the one mapping of a booking row, for its writes and its reads alike.
 */
export const BOOKING = sql`"id"::text AS "id", "guest_id" AS "guestId", "room_id"::text AS "roomId",
  ${ROOMS} AS "rooms", "guest_name" AS "guestName", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
  to_char("check_out", 'YYYY-MM-DD') AS "checkOut", "status"::text AS "status", "reason",
  ${inCurrency(`"price"->'total'`)} AS "total", "price"->>'payment' AS "payment",
  ${inCurrency(`"refunded"`)} AS "refunded", ${inCurrency(`"kept"`)} AS "kept",
  CASE WHEN "change" IS NULL THEN NULL ELSE jsonb_build_object('checkIn', "change"->'checkIn',
    'checkOut', "change"->'checkOut') END AS "pendingChange", "last_change" AS "lastChange",
  "created_at" AS "createdAt", "updated_at" AS "updatedAt", "completed_at" AS "completedAt"`;

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
  /** Several rooms or units; null for one unit of `roomId`. */
  rooms: RoomLine[] | null;
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
    INSERT INTO "reservations" ("id", "guest_id", "room_id", "rooms", "guest_name", "check_in", "check_out",
                                "idempotency_key", "request_hash", "deadline_at", "updated_at")
    SELECT ${b.id}::uuid, ${b.guestId}, ${b.roomId}::uuid, ${b.rooms ? JSON.stringify(b.rooms) : null}::jsonb,
           ${b.guestName}, ${b.checkIn}::date, ${b.checkOut}::date,
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

/** A booking as the saga reads it under its lock: its state, its price, what is owed to it. */
const SAGA = sql`"id"::text AS "id", "status"::text AS "status", "reason", "price", "guest_id" AS "guestId",
  ${ROOMS} AS "rooms", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
  to_char("check_out", 'YYYY-MM-DD') AS "checkOut", "cancel_due_at" IS NOT NULL AS "cancelOwed",
  "refund_due_at" IS NOT NULL AS "refundOwed", "refund_keep" AS "refundKeep", "change", "change_kept" AS "changeKept",
  "created_at" AS "createdAt"`;

export interface SagaRow {
  id: string;
  status: ReservationStatus;
  reason: string | null;
  price: HeldPrice | null;
  guestId: string | null;
  rooms: RoomLine[];
  checkIn: string;
  checkOut: string;
  cancelOwed: boolean;
  refundOwed: boolean;
  refundKeep: number | null;
  change: PendingChange | null;
  changeKept: number;
  createdAt: Date;
}

/** One booking as the saga reads it, without a lock (a quote). */
export const sagaRow = (id: string): Query => sql`SELECT ${SAGA} FROM "reservations" WHERE "id" = ${id}::uuid`;

/** One booking, locked, as the saga reads it. */
export const lockBooking = (id: string): Query =>
  sql`SELECT ${SAGA} FROM "reservations" WHERE "id" = ${id}::uuid FOR UPDATE`;

/**
 * Records the deliveries and locks and reads every booking concerned (in id order, so concurrent
 * chunks never deadlock): `delivery` rows are the new deliveries, `booking` rows the bookings.
 */
export const deliverAndLockBookings = (delivered: Delivered<{ messageId: string; reservationId: string }>[]) => sql`
  WITH "delivery" AS (${recordDeliveries(delivered)}), "booking" AS (
    SELECT ${SAGA} FROM "reservations"
    WHERE "id" = ANY(${delivered.map((d) => d.message.reservationId)}::uuid[]) ORDER BY "id" FOR UPDATE
  )
  SELECT 'delivery' AS "kind", "message_id"::text AS "id", NULL AS "status", NULL AS "reason", NULL::jsonb AS "price",
         NULL AS "guestId", NULL::jsonb AS "rooms", NULL AS "checkIn", NULL AS "checkOut", NULL::boolean AS "cancelOwed",
         NULL::boolean AS "refundOwed", NULL::bigint AS "refundKeep", NULL::jsonb AS "change", NULL::bigint AS "changeKept",
         NULL::timestamptz AS "createdAt"
  FROM "delivery"
  UNION ALL
  SELECT 'booking', * FROM "booking"`;

export type DeliveryOrBooking = { kind: "delivery"; id: string } | (SagaRow & { kind: "booking" });

/**
 * Up to `limit` bookings past their deadline, waiting on the room service or on the charge, or on
 * the answer to a date change not yet sent back, locked.
 */
export const lockOverdue = (limit: number): Query => sql`
  SELECT ${SAGA} FROM "reservations"
  WHERE "status" IN ('PENDING', 'AWAITING_PAYMENT', 'CHANGE_PENDING') AND "deadline_at" < now()
    AND ("change" IS NULL OR (NOT ("change"->>'reverting')::boolean AND "change"->>'phase' <> 'SETTLING'))
  ORDER BY "deadline_at" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;

/** What a step does to one booking (see saga.ts): the statement below writes a chunk of them. */
export interface BookingUpdate {
  id: string;
  /** The new state, or null to keep it. */
  status: ReservationStatus | null;
  reason: string | null;
  /** It reached FAILURE or CANCEL: it leaves the guest's active bookings. */
  leaves: boolean;
  /** It reached a final state now. */
  completes: boolean;
  price: HeldPrice | null;
  charged: number | null;
  refunded: number | null;
  kept: number | null;
  /** The room-cancel: owed from now (sent now, again if unconfirmed), settled, or as it was. */
  cancel: "owe" | "settle" | null;
  /** The refund likewise, keeping `refundKeep`. */
  refund: "owe" | "settle" | null;
  refundKeep: number | null;
  /** The charge's deadline starts now. */
  paymentDeadline: boolean;
  /** The date change under way: set, cleared, or as it was. */
  change: PendingChange | null | undefined;
  /** A date change's deadline starts now. */
  changeDeadline: boolean;
  /** What date changes kept, now; null to keep it. */
  changeKept: number | null;
  /** The booking's dates now, or null to keep them. */
  stay: Stay | null;
  lastChange: LastChange | null;
  /** What the history says of the step, instead of the booking's reason. */
  note: string | null;
  /** What made the change (a reply's id and trace) for the booking's history. */
  messageId: string | null;
  traceId: string | null;
}

/** The update of a booking that changes nothing yet: a step fills in what it does. */
export const noUpdate = (id: string): BookingUpdate => ({
  id,
  status: null,
  reason: null,
  leaves: false,
  completes: false,
  price: null,
  charged: null,
  refunded: null,
  kept: null,
  cancel: null,
  refund: null,
  refundKeep: null,
  paymentDeadline: false,
  change: undefined,
  changeDeadline: false,
  changeKept: null,
  stay: null,
  lastChange: null,
  note: null,
  messageId: null,
  traceId: null,
});

export interface Timing {
  /** A room-cancel or refund not confirmed this long after it was sent is sent again. */
  cancelResendMs: number;
  /** How long a charge may take. */
  paymentDeadlineMs: number;
  /** How long the room service may take to answer a date change before it is sent back. */
  sagaDeadlineMs: number;
}

const ms = (value: number) => sql`${value}::int * interval '1 millisecond'`;

/** Lowers the active count of the guests of the bookings in `changed` (a CTE: `guest_id`, `leaves`) that left. */
const freeSlots = (changed: string) => sql`
  UPDATE "guest_bookings" AS g SET "active" = g."active" - f."n"
  FROM (SELECT "guest_id", count(*)::int AS "n" FROM ${raw(`"${changed}"`)} WHERE "leaves" AND "guest_id" IS NOT NULL
        GROUP BY "guest_id") AS f
  WHERE g."guest_id" = f."guest_id"`;

/**
 * Every booking a chunk of events changed, their guests' active counts, their history and the
 * messages they owe, in one statement; returns the bookings as the API answers them.
 */
export const writeUpdates = (
  updates: BookingUpdate[],
  owed: OutboxEntry[],
  cause: HistoryCause,
  t: Timing,
): Query => sql`
  WITH "changed" AS (
    UPDATE "reservations" AS r
    SET "status" = COALESCE(u."status"::"ReservationStatus", r."status"),
        "reason" = CASE WHEN u."status" IS NULL THEN r."reason" ELSE u."reason" END,
        "completed_at" = CASE WHEN u."completes" THEN now() ELSE r."completed_at" END,
        "price" = COALESCE(u."price", r."price"),
        "charged" = COALESCE(u."charged", r."charged"),
        "refunded" = COALESCE(u."refunded", r."refunded"),
        "kept" = COALESCE(u."kept", r."kept"),
        "cancel_due_at" = CASE u."cancel" WHEN 'owe' THEN now() + ${ms(t.cancelResendMs)} WHEN 'settle' THEN NULL
                               ELSE r."cancel_due_at" END,
        "cancel_attempts" = CASE WHEN u."cancel" = 'owe' THEN 1 ELSE r."cancel_attempts" END,
        "refund_due_at" = CASE u."refund" WHEN 'owe' THEN now() + ${ms(t.cancelResendMs)} WHEN 'settle' THEN NULL
                               ELSE r."refund_due_at" END,
        "refund_attempts" = CASE WHEN u."refund" = 'owe' THEN 1 ELSE r."refund_attempts" END,
        "refund_keep" = CASE WHEN u."refund" = 'owe' THEN u."refund_keep" ELSE r."refund_keep" END,
        "deadline_at" = CASE WHEN u."payment_deadline" THEN now() + ${ms(t.paymentDeadlineMs)}
                             WHEN u."change_deadline" THEN now() + ${ms(t.sagaDeadlineMs)}
                             ELSE r."deadline_at" END,
        "change" = CASE u."change_op" WHEN 'set' THEN u."change" WHEN 'clear' THEN NULL ELSE r."change" END,
        "change_due_at" = CASE u."change_op" WHEN 'set' THEN now() + ${ms(t.cancelResendMs)} WHEN 'clear' THEN NULL
                               ELSE r."change_due_at" END,
        "change_attempts" = CASE u."change_op" WHEN 'set' THEN 1 WHEN 'clear' THEN 0 ELSE r."change_attempts" END,
        "check_in" = COALESCE(u."check_in", r."check_in"),
        "check_out" = COALESCE(u."check_out", r."check_out"),
        "last_change" = COALESCE(u."last_change", r."last_change"),
        "change_kept" = COALESCE(u."change_kept", r."change_kept"),
        "updated_at" = now()
    FROM unnest(${updates.map((u) => u.id)}::uuid[], ${updates.map((u) => u.status)}::text[],
                ${updates.map((u) => u.reason)}::text[], ${updates.map((u) => u.leaves)}::boolean[],
                ${updates.map((u) => u.completes)}::boolean[],
                ${updates.map((u) => (u.price ? JSON.stringify(u.price) : null))}::jsonb[],
                ${updates.map((u) => u.charged)}::bigint[], ${updates.map((u) => u.refunded)}::bigint[],
                ${updates.map((u) => u.kept)}::bigint[], ${updates.map((u) => u.cancel)}::text[],
                ${updates.map((u) => u.refund)}::text[], ${updates.map((u) => u.refundKeep)}::bigint[],
                ${updates.map((u) => u.paymentDeadline)}::boolean[], ${updates.map((u) => u.messageId)}::uuid[],
                ${updates.map((u) => u.traceId)}::text[],
                ${updates.map((u) => (u.change === undefined ? null : u.change === null ? "clear" : "set"))}::text[],
                ${updates.map((u) => (u.change ? JSON.stringify(u.change) : null))}::jsonb[],
                ${updates.map((u) => u.stay?.checkIn ?? null)}::date[], ${updates.map((u) => u.stay?.checkOut ?? null)}::date[],
                ${updates.map((u) => (u.lastChange ? JSON.stringify(u.lastChange) : null))}::jsonb[],
                ${updates.map((u) => u.note)}::text[], ${updates.map((u) => u.changeDeadline)}::boolean[],
                ${updates.map((u) => u.changeKept)}::bigint[])
         AS u("id", "status", "reason", "leaves", "completes", "price", "charged", "refunded", "kept", "cancel",
              "refund", "refund_keep", "payment_deadline", "message_id", "trace_id", "change_op", "change",
              "check_in", "check_out", "last_change", "note", "change_deadline", "change_kept")
    WHERE r."id" = u."id"
    RETURNING r.*, u."leaves", u."status" AS "moved_to", u."message_id" AS "step_message_id",
              u."trace_id" AS "step_trace_id", u."note" AS "step_note"
  ), "freed" AS (${freeSlots("changed")}),
  "moved" AS (SELECT "id", "status", COALESCE("step_note", "reason") AS "reason", "step_message_id", "step_trace_id"
              FROM "changed" WHERE "moved_to" IS NOT NULL),
  "history" AS (${history("moved", cause, { messageId: '"step_message_id"', traceId: '"step_trace_id"' })}),
  "queued" AS (${outboxInsert(owed)})
  SELECT ${BOOKING} FROM "changed"`;

/** A booking whose room-cancel or refund is being sent again, as the statement that claims it returns it. */
export type Owing = Pick<
  SagaRow,
  "id" | "status" | "price" | "guestId" | "rooms" | "checkIn" | "checkOut" | "refundKeep" | "change"
>;

const OWING = sql`"id"::text AS "id", "status"::text AS "status", "price", "guest_id" AS "guestId",
  ${ROOMS} AS "rooms", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
  to_char("check_out", 'YYYY-MM-DD') AS "checkOut", "refund_keep" AS "refundKeep", "change"`;

/**
 * Up to `limit` bookings whose room-cancel (`what` cancel), refund, or the message their date
 * change awaits an answer to (`change`) is due again: the next try waits twice as long, at most `maxMs`.
 */
export const claimDue = (
  what: "cancel" | "refund" | "change",
  limit: number,
  resendMs: number,
  maxMs: number,
): Query => {
  const due = raw(`"${what}_due_at"`);
  const attempts = raw(`"${what}_attempts"`);
  return sql`
  WITH "claimed" AS (
    UPDATE "reservations" AS r
    SET ${attempts} = r.${attempts} + 1, "updated_at" = now(),
        ${due} = now() + LEAST(${resendMs}::float8 * power(2, r.${attempts}), ${maxMs}::float8) * interval '1 millisecond'
    FROM (SELECT "id" FROM "reservations" WHERE ${due} <= now()
          ORDER BY ${due} LIMIT ${limit} FOR UPDATE SKIP LOCKED) AS owed
    WHERE r."id" = owed."id"
    RETURNING r.*
  ), "history" AS (${history("claimed", `${what}-resend`)})
  SELECT ${OWING} FROM "claimed"`;
};

export const readBooking = (id: string): Query => sql`SELECT ${BOOKING} FROM "reservations" WHERE "id" = ${id}::uuid`;

/** The booking a guest made with an Idempotency-Key, with the hash of the request that made it. */
export const bookingByKey = (guestId: string, key: string): Query => sql`
  SELECT ${BOOKING}, "request_hash" AS "requestHash" FROM "reservations"
  WHERE "guest_id" = ${guestId} AND "idempotency_key" = ${key}`;

/** What a list may be narrowed to, beside its guest. */
export interface ListFilters {
  status?: ReservationStatus;
  roomId?: string;
  checkInFrom?: string;
  checkInTo?: string;
}

const filtered = (f: ListFilters) => sql`
  ${f.status ? sql`AND "status" = ${f.status}::"ReservationStatus"` : empty}
  ${f.roomId ? sql`AND ("room_id" = ${f.roomId}::uuid OR "rooms" @> jsonb_build_array(jsonb_build_object('roomId', ${f.roomId}::text)))` : empty}
  ${f.checkInFrom ? sql`AND "check_in" >= ${f.checkInFrom}::date` : empty}
  ${f.checkInTo ? sql`AND "check_in" <= ${f.checkInTo}::date` : empty}`;

/** A page of a guest's bookings, newest first, after `cursor` (keyset: the index on guest, time and id). */
export const guestBookings = (
  guestId: string,
  filters: ListFilters,
  cursor: { createdAt: Date; id: string } | undefined,
  limit: number,
): Query => sql`
  SELECT ${BOOKING} FROM "reservations"
  WHERE "guest_id" = ${guestId} ${filtered(filters)}
    ${cursor ? sql`AND ("created_at", "id") < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)` : empty}
  ORDER BY "created_at" DESC, "id" DESC
  LIMIT ${limit}`;

/** A page of every guest's bookings, by check-in then id, after `cursor` (keyset: the index on check-in and id). */
export const hotelBookings = (
  filters: ListFilters,
  cursor: { checkIn: string; id: string } | undefined,
  limit: number,
): Query => sql`
  SELECT ${BOOKING} FROM "reservations"
  WHERE TRUE ${filtered(filters)}
    ${cursor ? sql`AND ("check_in", "id") > (${cursor.checkIn}::date, ${cursor.id}::uuid)` : empty}
  ORDER BY "check_in", "id"
  LIMIT ${limit}`;
