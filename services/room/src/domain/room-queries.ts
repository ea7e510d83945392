import { type Query, sql } from "@saga/platform/sql";

/** A room's columns as the API answers them (its rate plan whole, or null). */
const ROOM = sql`"id"::text AS "id", "name", "units",
  CASE WHEN "currency" IS NULL THEN NULL
       ELSE jsonb_build_object('amount', "nightly_rate", 'currency', "currency") END AS "nightlyRate",
  "payment"::text AS "payment",
  jsonb_build_object('freeUntilHours', "free_until_hours", 'penaltyNights', "penalty_nights") AS "cancellation"`;

export interface NewRoomRow {
  id: string;
  name: string;
  units: number;
  currency: string | null;
  nightlyRate: number | null;
  payment: "AT_HOTEL" | "PREPAID";
  freeUntilHours: number;
  penaltyNights: number;
}

export const insertRoom = (r: NewRoomRow): Query => sql`
  INSERT INTO "rooms" ("id", "name", "units", "currency", "nightly_rate", "payment", "free_until_hours", "penalty_nights")
  VALUES (${r.id}::uuid, ${r.name}, ${r.units}, ${r.currency}, ${r.nightlyRate}, ${r.payment}::"PaymentMode",
          ${r.freeUntilHours}, ${r.penaltyNights})
  RETURNING ${ROOM}`;

/**
 * The rate of each night in [from, to), set under the room's lock (the lock every hold takes, so a
 * hold prices its nights entirely before or entirely after). Answers whether the room exists, its
 * currency (null: no rate plan, and nothing was set) and how many nights were set.
 */
export const setRates = (roomId: string, from: string, to: string, amount: number): Query => sql`
  WITH "room" AS (SELECT "id", "currency" FROM "rooms" WHERE "id" = ${roomId}::uuid FOR NO KEY UPDATE),
  "set" AS (
    INSERT INTO "room_nights" ("room_id", "date", "taken", "rate")
    SELECT "room"."id", d::date, 0, ${amount}::bigint
    FROM "room", generate_series(${from}::date, ${to}::date - 1, interval '1 day') AS d
    WHERE "room"."currency" IS NOT NULL
    ON CONFLICT ("room_id", "date") DO UPDATE SET "rate" = EXCLUDED."rate"
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM "room") AS "found", (SELECT "currency" FROM "room") AS "currency",
         (SELECT count(*)::int FROM "set") AS "nights"`;

/** A room's units and rate plan, and its nights in [from, to) that have a row (taken units, own rate). */
export const roomAndNights = (roomId: string, from: string, to: string): Query => sql`
  SELECT ${ROOM},
         COALESCE((SELECT jsonb_agg(jsonb_build_object('date', to_char(n."date", 'YYYY-MM-DD'), 'taken', n."taken",
                                                       'rate', n."rate"))
                   FROM "room_nights" n
                   WHERE n."room_id" = r."id" AND n."date" >= ${from}::date AND n."date" < ${to}::date), '[]') AS "nights"
  FROM "rooms" r WHERE r."id" = ${roomId}::uuid`;
