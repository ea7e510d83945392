import { amountOrZero, currency, guestId, money, moneyOrZero, uuid } from "@saga/contracts";
import { errorResponse } from "@saga/platform/http";
import { z } from "zod";

export const guestParams = z.strictObject({ guestId });
export const reservationParams = z.strictObject({ reservationId: uuid });

/** A credit to a guest's deposit, in minor units of its currency. */
export const creditBody = money.meta({ examples: [{ amount: 50_000, currency: "EUR" }] });
export type CreditInput = z.output<typeof creditBody>;

export const creditHeaders = z.object({ "idempotency-key": z.string().min(1).max(200).optional() });

export const creditResult = z
  .object({ guestId: z.string(), balance: moneyOrZero })
  .meta({ examples: [{ guestId: "ada", balance: { amount: 50_000, currency: "EUR" } }] });
export type CreditResult = z.output<typeof creditResult>;

export const entriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** The previous page's `nextCursor`. */
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, "is not a cursor this API gave")
    .transform(Number)
    .optional(),
});
export type EntriesQuery = z.output<typeof entriesQuery>;

const MOVEMENT_KINDS = ["CREDIT", "CHARGE", "REFUND"] as const;

/** What a guest holds, and what moved in and out of it, newest first. */
export const accountPage = z
  .object({
    guestId: z.string(),
    balances: z.array(moneyOrZero),
    entries: z.array(
      z.object({
        at: z.date(),
        kind: z.enum(MOVEMENT_KINDS),
        /** Added to the deposit (a credit, a refund) or taken from it (a charge: negative). */
        amount: z.number().int(),
        currency,
        reservationId: z.uuid().nullable(),
        reason: z.string().nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({
    examples: [
      {
        guestId: "ada",
        balances: [{ amount: 14_000, currency: "EUR" }],
        entries: [
          {
            at: "2027-03-01T09:30:00.061Z",
            kind: "CHARGE",
            amount: -36_000,
            currency: "EUR",
            reservationId: "0b6f4d1e-8a53-4c1b-9a59-2d7c1f0e5a11",
            reason: "booking charged",
          },
          {
            at: "2027-03-01T09:00:00.000Z",
            kind: "CREDIT",
            amount: 50_000,
            currency: "EUR",
            reservationId: null,
            reason: "staff credit",
          },
        ],
        nextCursor: null,
      },
    ],
  });
export type AccountPage = z.output<typeof accountPage>;

/** What one booking was charged and refunded, and each movement of its money, oldest first. */
export const paymentView = z
  .object({
    reservationId: z.uuid(),
    currency,
    charged: amountOrZero,
    refunded: amountOrZero,
    entries: z.array(
      z.object({ at: z.date(), kind: z.enum(MOVEMENT_KINDS), amount: amountOrZero, reason: z.string().nullable() }),
    ),
  })
  .meta({
    examples: [
      {
        reservationId: "0b6f4d1e-8a53-4c1b-9a59-2d7c1f0e5a11",
        currency: "EUR",
        charged: 36_000,
        refunded: 18_000,
        entries: [
          { at: "2027-03-01T09:30:00.061Z", kind: "CHARGE", amount: 36_000, reason: "booking charged" },
          { at: "2027-03-09T17:02:11.412Z", kind: "REFUND", amount: 18_000, reason: "CANCELLED" },
        ],
      },
    ],
  });
export type PaymentView = z.output<typeof paymentView>;

export const errors = {
  400: errorResponse,
  401: errorResponse,
  403: errorResponse,
  404: errorResponse,
  409: errorResponse,
  429: errorResponse,
  500: errorResponse,
  503: errorResponse,
};
