import { createHash } from "node:crypto";
import { AppError, notFound, type Principal } from "@saga/platform/http";
import { type Sql, sqlState } from "@saga/platform/sql";
import type { AccountPage, CreditInput, CreditResult, EntriesQuery, PaymentView } from "../schemas/accounts.js";
import * as queries from "./account-queries.js";
import { credit, depositOf } from "./ledger.js";
import { writeMovements } from "./payment-queries.js";

export type Accounts = ReturnType<typeof createAccounts>;

const creditHash = (guestId: string, { amount, currency }: CreditInput) =>
  createHash("sha256")
    .update(JSON.stringify([guestId, amount, currency]))
    .digest("hex");

/** Guests' deposits and what moved in and out of them: the HTTP side of the payment service. */
export function createAccounts({ sql }: { sql: Sql }) {
  const creditOnce = (guestId: string, input: CreditInput, idempotencyKey?: string): Promise<CreditResult> =>
    sql.transaction(async (tx) => {
      const hash = creditHash(guestId, input);
      const [earlier] = idempotencyKey
        ? await tx.rows<{ requestHash: string }>(queries.creditByKey(idempotencyKey))
        : [];
      if (earlier && earlier.requestHash !== hash) {
        throw new AppError(409, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used for a different credit", [
          { field: "headers.idempotency-key", message: "already used for a different request body" },
        ]);
      }
      if (!earlier) {
        const key = idempotencyKey ? { idempotencyKey, requestHash: hash } : undefined;
        await tx.run(writeMovements([credit(guestId, input.currency, input.amount, key)]));
      }
      const [deposit] = await tx.rows<{ balance: number }>(queries.depositBalance(depositOf(guestId, input.currency)));
      return { guestId, balance: { amount: deposit?.balance ?? 0, currency: input.currency } };
    });

  return {
    /**
     * Staff credit a guest's deposit (opening it in that currency if need be): the credits issued go
     * down by as much, in one movement. The same Idempotency-Key and body again moves nothing more.
     */
    async credit(guestId: string, input: CreditInput, idempotencyKey?: string): Promise<CreditResult> {
      try {
        return await creditOnce(guestId, input, idempotencyKey);
      } catch (err) {
        // Two credits with one key raced: the loser answers as the winner's replay.
        if (idempotencyKey && sqlState(err) === "23505") return creditOnce(guestId, input, idempotencyKey);
        throw err;
      }
    },

    /** The caller's deposits and their entries, newest first, a page at a time. */
    async mine(caller: Principal, { limit, cursor }: EntriesQuery): Promise<AccountPage> {
      const [balances, entries] = await Promise.all([
        sql.rows<{ currency: string; amount: number }>(queries.balances(caller.id)),
        sql.rows<AccountPage["entries"][number] & { id: number }>(queries.depositEntries(caller.id, cursor, limit + 1)),
      ]);
      const page = entries.slice(0, limit);
      const last = page.at(-1);
      return {
        guestId: caller.id,
        balances,
        entries: page.map(({ id: _, ...entry }) => entry),
        nextCursor: entries.length > limit && last ? String(last.id) : null,
      };
    },

    /** A booking's payment: for the guest who booked it and staff; 404 for anyone else, as for a booking. */
    async payment(caller: Principal, reservationId: string): Promise<PaymentView> {
      const [found] = await sql.rows<PaymentView & { guestId: string }>(queries.paymentWithMovements(reservationId));
      if (!found || !(caller.staff || found.guestId === caller.id)) {
        throw notFound(`payment of reservation ${reservationId}`);
      }
      const { guestId: _, ...view } = found;
      return { ...view, entries: view.entries.map((e) => ({ ...e, at: new Date(e.at) })) };
    },
  };
}
