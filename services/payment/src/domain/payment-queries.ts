import { type Delivered, type OutboxEntry, outboxInsert, recordDeliveries } from "@saga/platform/messaging";
import { type Query, sql } from "@saga/platform/sql";
import type { Movement } from "./ledger.js";

/** What happened to one booking's money, as the payment service recorded it. */
export interface PaymentRecord {
  reservationId: string;
  guestId: string;
  currency: string;
  status: "CHARGED" | "DECLINED" | "VOIDED" | "REFUNDED";
  charged: number;
  refunded: number;
  declineReason: string | null;
}

/**
 * Records the deliveries and locks the guests' deposits they touch, in id order (two chunks
 * touching several deposits never deadlock; every change to a deposit's balance holds its lock):
 * `delivery` rows are the new deliveries.
 */
export const deliverAndLockDeposits = (
  delivered: Delivered<{ messageId: string }>[],
  depositIds: string[],
): Query => sql`
  WITH "delivery" AS (${recordDeliveries(delivered)}), "locked" AS (
    SELECT "id" FROM "accounts" WHERE "id" = ANY(${depositIds}::uuid[]) ORDER BY "id" FOR UPDATE
  )
  SELECT 'delivery' AS "kind", "message_id"::text AS "id" FROM "delivery"
  UNION ALL
  SELECT 'deposit', "id"::text FROM "locked"`;

const PAYMENT = sql`"reservation_id"::text AS "reservationId", "guest_id" AS "guestId", "currency",
  "status"::text AS "status", "charged", "refunded", "decline_reason" AS "declineReason"`;

/**
 * Read under the deposits' locks (a statement of its own, so it sees what committed while it
 * waited): the payments of these reservations, and every deposit of these guests with its balance.
 */
export const readPaymentsAndDeposits = (reservationIds: string[], guestIds: string[]): Query => sql`
  SELECT 'payment' AS "kind", ${PAYMENT}, NULL::uuid AS "accountId", NULL::bigint AS "balance" FROM "payments"
  WHERE "reservation_id" = ANY(${reservationIds}::uuid[])
  UNION ALL
  SELECT 'deposit', NULL, "owner", "currency", NULL, NULL, NULL, NULL, "id", "balance" FROM "accounts"
  WHERE "kind" = 'GUEST_DEPOSIT' AND "owner" = ANY(${guestIds}::text[])`;

export type PaymentOrDeposit =
  | (PaymentRecord & { kind: "payment" })
  | { kind: "deposit"; guestId: string; currency: string; accountId: string; balance: number };

/**
 * Movements with their entries, the balances of the guests' deposits they change (kept beside the
 * entries, under the lock taken before; a deposit a credit opens is made here), the house accounts
 * they name (made with their first entry, never locked), the payments they belong to, and the
 * replies they owe: one statement. The database checks at commit that each movement balances.
 */
export const writeMovements = (
  movements: Movement[],
  payments: PaymentRecord[] = [],
  replies: OutboxEntry[] = [],
): Query => {
  const entries = movements.flatMap((m) => m.entries.map((e) => ({ movementId: m.id, ...e })));
  const deltas = new Map<string, { owner: string; currency: string; delta: number }>();
  const houses = new Map<string, { kind: string; owner: string; currency: string }>();
  for (const { account, amount } of entries) {
    if (account.kind === "GUEST_DEPOSIT") {
      const known = deltas.get(account.id) ?? { owner: account.owner, currency: account.currency, delta: 0 };
      known.delta += amount;
      deltas.set(account.id, known);
    } else houses.set(account.id, account);
  }
  // A deposit that grows may be opened by it (a credit); one that shrinks exists, and was locked.
  // (An INSERT checks its row against the deposits' CHECK before it meets the one it conflicts with.)
  const growing = [...deltas.entries()].filter(([, d]) => d.delta > 0);
  const shrinking = [...deltas.entries()].filter(([, d]) => d.delta < 0);
  const house = [...houses.entries()];
  return sql`
  WITH "house" AS (
    INSERT INTO "accounts" ("id", "kind", "owner", "currency")
    SELECT "id", "kind"::"AccountKind", "owner", "currency"
    FROM unnest(${house.map(([id]) => id)}::uuid[], ${house.map(([, a]) => a.kind)}::text[],
                ${house.map(([, a]) => a.owner)}::text[], ${house.map(([, a]) => a.currency)}::text[])
         AS h("id", "kind", "owner", "currency")
    ON CONFLICT DO NOTHING
  ), "grown" AS (
    INSERT INTO "accounts" ("id", "kind", "owner", "currency", "balance")
    SELECT "id", 'GUEST_DEPOSIT', "owner", "currency", "delta"
    FROM unnest(${growing.map(([id]) => id)}::uuid[], ${growing.map(([, d]) => d.owner)}::text[],
                ${growing.map(([, d]) => d.currency)}::text[], ${growing.map(([, d]) => d.delta)}::bigint[])
         AS d("id", "owner", "currency", "delta")
    ON CONFLICT ("id") DO UPDATE SET "balance" = "accounts"."balance" + EXCLUDED."balance"
  ), "shrunk" AS (
    UPDATE "accounts" AS a SET "balance" = a."balance" + d."delta"
    FROM unnest(${shrinking.map(([id]) => id)}::uuid[], ${shrinking.map(([, d]) => d.delta)}::bigint[])
         AS d("id", "delta")
    WHERE a."id" = d."id"
  ), "moved" AS (
    INSERT INTO "movements" ("id", "kind", "guest_id", "currency", "amount", "reservation_id", "reason",
                             "idempotency_key", "request_hash")
    SELECT "id", "kind"::"MovementKind", "guest_id", "currency", "amount", "reservation_id", "reason",
           "idempotency_key", "request_hash"
    FROM unnest(${movements.map((m) => m.id)}::uuid[], ${movements.map((m) => m.kind)}::text[],
                ${movements.map((m) => m.guestId)}::text[], ${movements.map((m) => m.currency)}::text[],
                ${movements.map((m) => m.amount)}::bigint[], ${movements.map((m) => m.reservationId)}::uuid[],
                ${movements.map((m) => m.reason)}::text[], ${movements.map((m) => m.idempotencyKey)}::text[],
                ${movements.map((m) => m.requestHash)}::text[])
         AS m("id", "kind", "guest_id", "currency", "amount", "reservation_id", "reason", "idempotency_key",
              "request_hash")
  ), "entered" AS (
    INSERT INTO "entries" ("movement_id", "account_id", "amount")
    SELECT * FROM unnest(${entries.map((e) => e.movementId)}::uuid[], ${entries.map((e) => e.account.id)}::uuid[],
                         ${entries.map((e) => e.amount)}::bigint[])
  ), "paid" AS (
    INSERT INTO "payments" ("reservation_id", "guest_id", "currency", "status", "charged", "refunded", "decline_reason")
    SELECT "reservation_id", "guest_id", "currency", "status"::"PaymentStatus", "charged", "refunded", "decline_reason"
    FROM unnest(${payments.map((p) => p.reservationId)}::uuid[], ${payments.map((p) => p.guestId)}::text[],
                ${payments.map((p) => p.currency)}::text[], ${payments.map((p) => p.status)}::text[],
                ${payments.map((p) => p.charged)}::bigint[], ${payments.map((p) => p.refunded)}::bigint[],
                ${payments.map((p) => p.declineReason)}::text[])
         AS p("reservation_id", "guest_id", "currency", "status", "charged", "refunded", "decline_reason")
    ON CONFLICT ("reservation_id") DO UPDATE
    SET "status" = EXCLUDED."status", "charged" = EXCLUDED."charged", "refunded" = EXCLUDED."refunded",
        "decline_reason" = EXCLUDED."decline_reason", "updated_at" = now()
  ), "queued" AS (${outboxInsert(replies)})
  SELECT 1`;
};
