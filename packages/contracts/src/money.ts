import { z } from "zod";

/**
 * The most minor units one amount may hold (ten million in a currency of two decimals): a stay's
 * total of 10 rooms × 30 nights of it stays far inside a JavaScript integer and a PostgreSQL bigint.
 */
export const MAX_AMOUNT = 1_000_000_000;

const ISO_4217 = new Set(Intl.supportedValuesOf("currency"));

/** An ISO 4217 currency code: three capital letters that name a currency (`EUR`, `JPY`). */
export const currency = z
  .string({ error: "must be a currency code" })
  .regex(/^[A-Z]{3}$/, { error: "must be three capital letters (ISO 4217)", abort: true })
  .refine((code) => ISO_4217.has(code), "must be an ISO 4217 currency code");

/** A sum of money in minor units (cents for EUR, yen for JPY): a whole number, never a float. */
const minorUnits = z
  .number({ error: "must be a number of minor units" })
  .int({ error: "must be a whole number of minor units (cents, not a fraction)", abort: true })
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);

/** A price or a payment: more than nothing. */
export const amount = minorUnits.positive("must be more than 0");
/** What may be nothing: a refund, a penalty, what was kept. */
export const amountOrZero = minorUnits.min(0, "must not be negative");

export const money = z.strictObject({ amount, currency });
export const moneyOrZero = z.strictObject({ amount: amountOrZero, currency });
export type Money = z.infer<typeof moneyOrZero>;

/** How a room is paid: to the hotel at the stay, or from the guest's deposit when the nights are taken. */
export const PAYMENT_MODES = ["AT_HOTEL", "PREPAID"] as const;
export const paymentMode = z.enum(PAYMENT_MODES);
export type PaymentMode = z.infer<typeof paymentMode>;

/**
 * A cancellation policy: free until `freeUntilHours` before 00:00 UTC of the check-in date; later,
 * the price of the first `penaltyNights` nights is kept.
 */
export const cancellationPolicy = z.strictObject({
  freeUntilHours: z.number().int().min(0).max(8_760),
  penaltyNights: z.number().int().min(0).max(30),
});
export type CancellationPolicy = z.infer<typeof cancellationPolicy>;

/** Whether a cancel at `at` is late under `policy` for a stay starting `checkIn` (YYYY-MM-DD, 00:00 UTC). */
export function cancelIsLate(policy: CancellationPolicy, checkIn: string, at: Date = new Date()): boolean {
  const free = Date.parse(`${checkIn}T00:00:00.000Z`) - policy.freeUntilHours * 3_600_000;
  return at.getTime() > free;
}

/** What a cancel at `at` keeps: the first `penaltyNights` nights' prices when late, nothing before. */
export function penaltyOf(
  policy: CancellationPolicy,
  nightPrices: readonly number[],
  checkIn: string,
  at: Date = new Date(),
): number {
  if (!cancelIsLate(policy, checkIn, at)) return 0;
  return nightPrices.slice(0, policy.penaltyNights).reduce((sum, price) => sum + price, 0);
}
