import { empty, type Query, sql } from "@saga/platform/sql";

/** A staff credit made with this Idempotency-Key, with the hash of the request that made it. */
export const creditByKey = (key: string): Query => sql`
  SELECT "guest_id" AS "guestId", "currency", "request_hash" AS "requestHash" FROM "movements"
  WHERE "idempotency_key" = ${key}`;

/** A guest's deposit's balance in one currency (none: no deposit). */
export const depositBalance = (accountId: string): Query => sql`
  SELECT "balance" FROM "accounts" WHERE "id" = ${accountId}::uuid`;

/** A guest's deposits, one per currency. */
export const balances = (guestId: string): Query => sql`
  SELECT "currency", "balance" AS "amount" FROM "accounts"
  WHERE "kind" = 'GUEST_DEPOSIT' AND "owner" = ${guestId} ORDER BY "currency"`;

/** What moved in and out of a guest's deposits, newest first, after the entry `before` (keyset on the entry's id). */
export const depositEntries = (guestId: string, before: number | undefined, limit: number): Query => sql`
  SELECT e."id", e."created_at" AS "at", m."kind"::text AS "kind", e."amount", a."currency",
         m."reservation_id"::text AS "reservationId", m."reason"
  FROM "accounts" a
  JOIN "entries" e ON e."account_id" = a."id"
  JOIN "movements" m ON m."id" = e."movement_id"
  WHERE a."kind" = 'GUEST_DEPOSIT' AND a."owner" = ${guestId} ${before === undefined ? empty : sql`AND e."id" < ${before}`}
  ORDER BY e."id" DESC
  LIMIT ${limit}`;

/** A booking's payment and each movement of its money, oldest first. */
export const paymentWithMovements = (reservationId: string): Query => sql`
  SELECT p."reservation_id"::text AS "reservationId", p."guest_id" AS "guestId", p."currency", p."charged", p."refunded",
         COALESCE((SELECT jsonb_agg(jsonb_build_object('at', m."created_at", 'kind', m."kind", 'amount', m."amount",
                                                       'reason', m."reason") ORDER BY m."created_at", m."id")
                   FROM "movements" m WHERE m."reservation_id" = p."reservation_id"), '[]') AS "entries"
  FROM "payments" p WHERE p."reservation_id" = ${reservationId}::uuid`;
