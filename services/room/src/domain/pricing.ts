import type { CancellationPolicy, HeldPrice, Money, PaymentMode } from "@saga/contracts";

/** A room's rate plan as read under its lock: none for a room without one (paid at the hotel, no price). */
export interface RatePlan {
  currency: string;
  nightlyRate: number;
  payment: PaymentMode;
  cancellation: CancellationPolicy;
}

/**
 * The price of `dates` in a room: each night at its own rate when it has one, else at the room's
 * nightly rate. Undefined for a room without a rate plan.
 */
export function priceOf(
  plan: RatePlan | undefined,
  dates: string[],
  rateOn: (date: string) => number | undefined,
): HeldPrice | undefined {
  if (!plan) return undefined;
  const nights = dates.map((date) => rateOn(date) ?? plan.nightlyRate);
  return {
    currency: plan.currency,
    nights,
    total: nights.reduce((sum, amount) => sum + amount, 0),
    payment: plan.payment,
    cancellation: plan.cancellation,
  };
}

/** Whether the price at the hold is the one the guest expected (no expectation: any price). */
export function priceAsExpected(price: HeldPrice | undefined, expected: Money | undefined): boolean {
  if (!expected) return true;
  return price !== undefined && price.currency === expected.currency && price.total === expected.amount;
}
