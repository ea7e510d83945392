import { createHash } from "node:crypto";
import { newId } from "@saga/contracts";

type AccountKind = "GUEST_DEPOSIT" | "HOTEL_REVENUE" | "CREDITS_ISSUED";

/** Who owns the house accounts: the hotel earns the revenue, staff issue the credits. */
const HOUSE_OWNER = { HOTEL_REVENUE: "hotel", CREDITS_ISSUED: "staff" } as const;

/**
 * An account's id, the same wherever and whenever it is computed: a UUID (version 8) made from its
 * kind, owner and currency. A movement names its accounts without looking them up, and a house
 * account comes into being with its first entry, without a lock on anyone's path.
 */
export function accountId(kind: AccountKind, owner: string, currency: string): string {
  const bytes = createHash("sha256").update(`${kind}\u0000${owner}\u0000${currency}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const depositOf = (guestId: string, currency: string) => accountId("GUEST_DEPOSIT", guestId, currency);

export interface Account {
  id: string;
  kind: AccountKind;
  owner: string;
  currency: string;
}

const account = (kind: AccountKind, owner: string, currency: string): Account => ({
  id: accountId(kind, owner, currency),
  kind,
  owner,
  currency,
});
const deposit = (guestId: string, currency: string) => account("GUEST_DEPOSIT", guestId, currency);
const house = (kind: keyof typeof HOUSE_OWNER, currency: string) => account(kind, HOUSE_OWNER[kind], currency);

/** One movement of money: its entries sum to zero (the database refuses it at commit otherwise). */
export interface Movement {
  id: string;
  kind: "CREDIT" | "CHARGE" | "REFUND";
  guestId: string;
  currency: string;
  /** What reached (CREDIT, REFUND) or left (CHARGE) the guest's deposit: positive. */
  amount: number;
  reservationId: string | null;
  reason: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  entries: { account: Account; amount: number }[];
}

function movement(
  kind: Movement["kind"],
  guestId: string,
  currency: string,
  amount: number,
  from: Account,
  to: Account,
  extra: Partial<Pick<Movement, "reservationId" | "reason" | "idempotencyKey" | "requestHash">> = {},
): Movement {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError(`a movement of ${amount} minor units`);
  return {
    id: newId(),
    kind,
    guestId,
    currency,
    amount,
    reservationId: extra.reservationId ?? null,
    reason: extra.reason ?? null,
    idempotencyKey: extra.idempotencyKey ?? null,
    requestHash: extra.requestHash ?? null,
    entries: [
      { account: from, amount: -amount },
      { account: to, amount },
    ],
  };
}

/** Staff credit a guest's deposit: the credits issued go down by as much. */
export const credit = (
  guestId: string,
  currency: string,
  amount: number,
  key?: { idempotencyKey: string; requestHash: string },
) =>
  movement("CREDIT", guestId, currency, amount, house("CREDITS_ISSUED", currency), deposit(guestId, currency), {
    reason: "staff credit",
    ...key,
  });

/** A booking's charge: from the guest's deposit to the hotel's revenue. */
export const charge = (
  guestId: string,
  currency: string,
  amount: number,
  reservationId: string,
  reason = "booking charged",
) =>
  movement("CHARGE", guestId, currency, amount, deposit(guestId, currency), house("HOTEL_REVENUE", currency), {
    reservationId,
    reason,
  });

/** A booking's refund: back from the hotel's revenue to the guest's deposit. */
export const refund = (guestId: string, currency: string, amount: number, reservationId: string, reason: string) =>
  movement("REFUND", guestId, currency, amount, house("HOTEL_REVENUE", currency), deposit(guestId, currency), {
    reservationId,
    reason,
  });
