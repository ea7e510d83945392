// The invariant's statements over given bookings, nights, movements and deposits: each reads by a
// key or an index, so a pass costs what it checks, not what is stored.
import { MAX_STAY_NIGHTS } from "@saga/contracts";
import { type Query, raw, sql } from "@saga/platform/sql";
import { type InvariantBooking, STAY_OF_BOOKING, UNITS_OF_BOOKING } from "../invariant.js";

export interface BookingRow extends InvariantBooking {
  /** Every room the booking names: its `rooms`, or its one room. */
  roomIds: string[];
  checkIn: string;
  checkOut: string;
}

export const bookingsByIds = (ids: string[]): Query => sql`
  SELECT "id"::text AS "id", "status"::text AS "status", "price"->>'payment' AS "payment",
         "price"->>'total' AS "total", "refund_keep"::text AS "keep", ${raw(UNITS_OF_BOOKING)} AS "units",
         ${raw(STAY_OF_BOOKING)} AS "stay", "change_kept"::text AS "changeKept",
         CASE WHEN "rooms" IS NULL THEN ARRAY["room_id"::text]
              ELSE ARRAY(SELECT jsonb_array_elements("rooms")->>'roomId') END AS "roomIds",
         "check_in"::text AS "checkIn", "check_out"::text AS "checkOut"
  FROM "reservations" WHERE "id" = ANY(${ids}::uuid[])`;

export interface HoldRow {
  reservationId: string;
  status: string;
  roomId: string;
  quantity: number;
  checkIn: string;
  checkOut: string;
}

export const holdsByIds = (ids: string[]): Query => sql`
  SELECT "reservation_id"::text AS "reservationId", "status"::text AS "status", "room_id"::text AS "roomId",
         "quantity", "check_in"::text AS "checkIn", "check_out"::text AS "checkOut"
  FROM "holds" WHERE "reservation_id" = ANY(${ids}::uuid[])`;

export interface PaymentRow {
  reservationId: string;
  /** Charged less refunded, as the payment row records it. */
  recorded: number;
  /** The booking's movements: charges less refunds. */
  moved: number;
}

export const paymentsByIds = (ids: string[]): Query => sql`
  SELECT p."reservation_id"::text AS "reservationId", p."charged" - p."refunded" AS "recorded",
         COALESCE((SELECT sum(CASE m."kind" WHEN 'CHARGE' THEN m."amount" ELSE -m."amount" END)
                   FROM "movements" m WHERE m."reservation_id" = p."reservation_id"), 0)::bigint AS "moved"
  FROM "payments" p WHERE p."reservation_id" = ANY(${ids}::uuid[])`;

/**
 * Each night's taken count, the room's units and the holds that cover it. A stay is at most
 * MAX_STAY_NIGHTS long, so the holds counted are found by (room, check-in) within that reach.
 */
export const nightsByKeys = (roomIds: string[], dates: string[]): Query => sql`
  SELECT n."room_id"::text AS "roomId", n."date"::text AS "date", n."taken", r."units",
         (SELECT COALESCE(sum(h."quantity"), 0)::int FROM "holds" h
          WHERE h."room_id" = n."room_id" AND h."status" = 'HELD'
            AND h."check_in" <= n."date" AND h."check_in" > n."date" - ${MAX_STAY_NIGHTS}::int
            AND h."check_out" > n."date") AS "held"
  FROM unnest(${roomIds}::uuid[], ${dates}::date[]) AS k("room_id", "date")
  JOIN "room_nights" n ON n."room_id" = k."room_id" AND n."date" = k."date"
  JOIN "rooms" r ON r."id" = n."room_id"`;

export interface MovementRow {
  id: string;
  sum: number;
  entries: number;
}

/** Of these movements, those whose entries do not sum to zero or are fewer than two. */
export const unbalancedMovements = (ids: string[]): Query => sql`
  SELECT m."id"::text AS "id", COALESCE(sum(e."amount"), 0)::bigint AS "sum", count(e."id")::int AS "entries"
  FROM "movements" m LEFT JOIN "entries" e ON e."movement_id" = m."id"
  WHERE m."id" = ANY(${ids}::uuid[])
  GROUP BY m."id" HAVING COALESCE(sum(e."amount"), 0) <> 0 OR count(e."id") < 2`;

export interface DepositRow {
  accountId: string;
  owner: string;
  currency: string;
  balance: number;
  entries: number;
}

/** These guests' deposits: the balance kept, and the sum of their entries (by the (account, id) index). */
export const depositsByIds = (ids: string[]): Query => sql`
  SELECT a."id"::text AS "accountId", a."owner", a."currency", a."balance",
         COALESCE((SELECT sum(e."amount") FROM "entries" e WHERE e."account_id" = a."id"), 0)::bigint AS "entries"
  FROM "accounts" a WHERE a."id" = ANY(${ids}::uuid[]) AND a."kind" = 'GUEST_DEPOSIT'`;
