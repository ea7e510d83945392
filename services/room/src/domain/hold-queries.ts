import type { HeldPrice } from "@saga/contracts";
import { type Delivered, type OutboxEntry, outboxInsert, recordDeliveries } from "@saga/platform/messaging";
import { type Query, sql } from "@saga/platform/sql";

/**
 * What a reservation took of one room (HELD: `quantity` units of every night) or gave back
 * (RELEASED), as recorded: the truth about its nights. A booking of several rooms has one per room.
 */
export interface Hold {
  reservationId: string;
  roomId: string;
  quantity: number;
  checkIn: string;
  checkOut: string;
  status: "HELD" | "RELEASED";
  /** The price of these units fixed when they were taken (null without a rate plan, or for a RELEASED cancel that came first). */
  price: HeldPrice | null;
  /** The last room-change decided for the reservation, and why it was refused (null: it moved). */
  lastChangeId: string | null;
  lastChangeRefusal: string | null;
}

/** The units of one room a message asks about, for its stay. */
export interface Stay {
  reservationId: string;
  roomId: string;
  quantity: number;
  checkIn: string;
  checkOut: string;
}

/** The advisory locks of hold reservations: the first of the two keys of `pg_advisory_xact_lock(int, int)`. */
const HOLD_LOCKS = 7_001;

/**
 * Records the deliveries and locks their rooms, in id order (two transactions locking several
 * rooms never deadlock; every change to a room's nights or rates holds its lock), then their
 * reservations (an advisory lock each, in id order, after every room's): two messages of one
 * reservation on different partitions (their first rooms differ) are decided one after the other,
 * the second seeing the first's hold. `delivery` rows are the new deliveries, `room` rows each
 * existing room's units and rate plan.
 */
export const deliverAndLockRooms = (
  delivered: Delivered<{ messageId: string; reservationId: string }>[],
  roomIds: string[],
): Query => sql`
  WITH "delivery" AS (${recordDeliveries(delivered)}), "room" AS (
    SELECT * FROM "rooms" WHERE "id" = ANY(${roomIds}::uuid[]) ORDER BY "id" FOR NO KEY UPDATE
  ), "reservation" AS (
    SELECT pg_advisory_xact_lock(${HOLD_LOCKS}::int, hashtext("id"::text)) FROM (
      SELECT DISTINCT "id" FROM unnest(${delivered.map((d) => d.message.reservationId)}::uuid[]) AS r("id") ORDER BY "id"
    ) AS "ordered"
  )
  SELECT 'delivery' AS "kind", "message_id" AS "id", NULL::int AS "units", NULL::text AS "currency",
         NULL::bigint AS "nightlyRate", NULL::text AS "payment", NULL::int AS "freeUntilHours",
         NULL::int AS "penaltyNights"
  FROM "delivery"
  UNION ALL
  SELECT 'room', "id"::text, "units", "currency", "nightly_rate", "payment"::text, "free_until_hours", "penalty_nights"
  FROM "room"
  UNION ALL
  -- Last: the reservations are locked once every room is (a UNION ALL runs its parts in order).
  SELECT 'locks', count(*)::text, NULL, NULL, NULL, NULL, NULL, NULL FROM "reservation"`;

export type DeliveryOrRoom =
  | { kind: "delivery"; id: string }
  | { kind: "locks"; id: string }
  | {
      kind: "room";
      id: string;
      units: number;
      currency: string | null;
      nightlyRate: number | null;
      payment: "AT_HOTEL" | "PREPAID";
      freeUntilHours: number;
      penaltyNights: number;
    };

const HOLD = sql`"reservation_id"::text AS "reservationId", "room_id"::text AS "roomId", "quantity", "status"::text AS "status",
  to_char("check_in", 'YYYY-MM-DD') AS "checkIn", to_char("check_out", 'YYYY-MM-DD') AS "checkOut", "price",
  "last_change_id"::text AS "lastChangeId", "last_change_refusal" AS "lastChangeRefusal"`;

/**
 * Read under the rooms' locks (a statement of its own, so it sees what committed while it waited):
 * the holds of these reservations (`hold` rows), and the nights these stays would take (`night`
 * rows, the date in `checkIn`, with the units taken and the night's own rate).
 */
export const readHoldsAndNights = (reservationIds: string[], stays: Stay[]): Query => sql`
  SELECT 'hold' AS "kind", ${HOLD}, NULL::int AS "taken", NULL::bigint AS "rate"
  FROM "holds" WHERE "reservation_id" = ANY(${reservationIds}::uuid[])
  UNION ALL
  SELECT DISTINCT 'night', NULL, n."room_id"::text, NULL::int, NULL, to_char(n."date", 'YYYY-MM-DD'), NULL, NULL::jsonb,
         NULL, NULL, n."taken", n."rate"
  FROM unnest(${stays.map((s) => s.roomId)}::uuid[], ${stays.map((s) => s.checkIn)}::date[],
              ${stays.map((s) => s.checkOut)}::date[]) AS s("room_id", "check_in", "check_out")
  JOIN "room_nights" n ON n."room_id" = s."room_id" AND n."date" >= s."check_in" AND n."date" < s."check_out"`;

export type HoldOrNight =
  | (Hold & { kind: "hold" })
  | { kind: "night"; roomId: string; checkIn: string; taken: number; rate: number | null };

/** The holds of these reservations, locked. */
export const lockHolds = (reservationIds: string[]): Query => sql`
  SELECT ${HOLD} FROM "holds" WHERE "reservation_id" = ANY(${reservationIds}::uuid[])
  ORDER BY "reservation_id", "room_id" FOR UPDATE`;

/** Each night's change once, as columns. */
export interface NightChanges {
  roomIds: string[];
  dates: string[];
  changes: number[];
}

/** The nights taken, and the holds that took them with the price fixed for each, in one statement. */
export const takeNights = (changed: NightChanges, taken: (Stay & { price?: HeldPrice })[]): Query => sql`
  WITH "nights" AS (
    INSERT INTO "room_nights" ("room_id", "date", "taken")
    SELECT * FROM unnest(${changed.roomIds}::uuid[], ${changed.dates}::date[], ${changed.changes}::int[])
    ON CONFLICT ("room_id", "date") DO UPDATE SET "taken" = "room_nights"."taken" + EXCLUDED."taken"
  )
  INSERT INTO "holds" ("reservation_id", "room_id", "quantity", "check_in", "check_out", "price", "status")
  SELECT *, 'HELD'::"HoldStatus"
  FROM unnest(${taken.map((m) => m.reservationId)}::uuid[], ${taken.map((m) => m.roomId)}::uuid[],
              ${taken.map((m) => m.quantity)}::int[], ${taken.map((m) => m.checkIn)}::date[], ${taken.map((m) => m.checkOut)}::date[],
              ${taken.map((m) => (m.price ? JSON.stringify(m.price) : null))}::jsonb[])`;

/**
 * The nights given back, the holds released, and a RELEASED hold for each cancel that overtook
 * its reserve (so the reserve, when it comes, takes nothing), in one statement.
 */
export const releaseNights = (changed: NightChanges, released: string[], overtaken: Stay[]): Query => sql`
  WITH "remembered" AS (
    INSERT INTO "holds" ("reservation_id", "room_id", "quantity", "check_in", "check_out", "status", "released_at")
    SELECT *, 'RELEASED'::"HoldStatus", now()
    FROM unnest(${overtaken.map((m) => m.reservationId)}::uuid[], ${overtaken.map((m) => m.roomId)}::uuid[],
                ${overtaken.map((m) => m.quantity)}::int[], ${overtaken.map((m) => m.checkIn)}::date[],
                ${overtaken.map((m) => m.checkOut)}::date[])
  ), "released" AS (
    UPDATE "holds" SET "status" = 'RELEASED', "released_at" = now() WHERE "reservation_id" = ANY(${released}::uuid[])
  )
  UPDATE "room_nights" AS n SET "taken" = n."taken" + c."change"
  FROM unnest(${changed.roomIds}::uuid[], ${changed.dates}::date[], ${changed.changes}::int[]) AS c("room_id", "date", "change")
  WHERE n."room_id" = c."room_id" AND n."date" = c."date"`;

/** The hold rows moved to other dates, each with its price at them. */
export interface MovedHold {
  reservationId: string;
  roomId: string;
  checkIn: string;
  checkOut: string;
  price: HeldPrice | null;
}

/**
 * The nights taken and given back by date changes, and the holds moved, in one statement. A night
 * given back has its row (it was held); one taken may not, and a row is checked as inserted before
 * its conflict is found, so the two go apart.
 */
export const moveHolds = (changed: NightChanges, moved: MovedHold[]): Query => sql`
  WITH "change" AS (
    SELECT * FROM unnest(${changed.roomIds}::uuid[], ${changed.dates}::date[], ${changed.changes}::int[])
      AS c("room_id", "date", "change")
  ), "taken" AS (
    INSERT INTO "room_nights" ("room_id", "date", "taken")
    SELECT "room_id", "date", "change" FROM "change" WHERE "change" > 0
    ON CONFLICT ("room_id", "date") DO UPDATE SET "taken" = "room_nights"."taken" + EXCLUDED."taken"
  ), "given" AS (
    UPDATE "room_nights" AS n SET "taken" = n."taken" + c."change"
    FROM "change" AS c WHERE c."change" < 0 AND n."room_id" = c."room_id" AND n."date" = c."date"
  )
  UPDATE "holds" AS h SET "check_in" = m."check_in", "check_out" = m."check_out", "price" = m."price"
  FROM unnest(${moved.map((m) => m.reservationId)}::uuid[], ${moved.map((m) => m.roomId)}::uuid[],
              ${moved.map((m) => m.checkIn)}::date[], ${moved.map((m) => m.checkOut)}::date[],
              ${moved.map((m) => (m.price ? JSON.stringify(m.price) : null))}::jsonb[])
       AS m("reservation_id", "room_id", "check_in", "check_out", "price")
  WHERE h."reservation_id" = m."reservation_id" AND h."room_id" = m."room_id"`;

/** The room-changes decided, each on every hold row of its reservation, so a copy is answered as it was. */
export const recordChanges = (
  decided: { reservationId: string; changeId: string; refusal: string | null }[],
): Query => sql`
  UPDATE "holds" AS h SET "last_change_id" = d."change_id", "last_change_refusal" = d."refusal"
  FROM unnest(${decided.map((d) => d.reservationId)}::uuid[], ${decided.map((d) => d.changeId)}::uuid[],
              ${decided.map((d) => d.refusal)}::text[]) AS d("reservation_id", "change_id", "refusal")
  WHERE h."reservation_id" = d."reservation_id"`;

/** What the room service did with one message, for the hold's history. */
export interface HoldEvent {
  reservationId: string;
  event: "TAKEN" | "REFUSED" | "RELEASED" | "UNCHANGED" | "CHANGED";
  reason: string | null;
  messageId: string;
  traceId: string | null;
}

/** The replies owed and what each message did to its hold, in one statement. */
export const replyAndRecord = (replies: OutboxEntry[], events: HoldEvent[]): Query => sql`
  WITH "queued" AS (${outboxInsert(replies)})
  INSERT INTO "hold_history" ("reservation_id", "event", "reason", "message_id", "trace_id")
  SELECT * FROM unnest(${events.map((e) => e.reservationId)}::uuid[], ${events.map((e) => e.event)}::text[],
                       ${events.map((e) => e.reason)}::text[], ${events.map((e) => e.messageId)}::uuid[],
                       ${events.map((e) => e.traceId)}::text[])`;
