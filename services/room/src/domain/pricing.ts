import { type CancellationPolicy, type HeldPrice, MAX_AMOUNT, type Money, type PaymentMode } from "@saga/contracts";

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

/** The price of `quantity` units, each at `price`. */
export const timesUnits = (price: HeldPrice | undefined, quantity: number): HeldPrice | undefined =>
  price && { ...price, nights: price.nights.map((n) => n * quantity), total: price.total * quantity };

const sameTerms = (a: HeldPrice, b: HeldPrice) =>
  a.currency === b.currency &&
  a.payment === b.payment &&
  a.cancellation.freeUntilHours === b.cancellation.freeUntilHours &&
  a.cancellation.penaltyNights === b.cancellation.penaltyNights;

/** Whether a price is one an amount may carry (every night's amount is at most its total). */
export const tooLarge = (price: HeldPrice | undefined) => price !== undefined && price.total > MAX_AMOUNT;

/**
 * The price of a booking's rooms together: each night's amounts added up, under the terms they
 * share (one charge, one policy). "MIXED_TERMS" when they differ in currency, payment or policy, or
 * some have a price and some none; undefined when none has one.
 */
export function together(prices: (HeldPrice | undefined)[]): HeldPrice | undefined | "MIXED_TERMS" {
  const [first, ...rest] = prices;
  if (rest.length === 0) return first;
  if (!first) return rest.every((p) => p === undefined) ? undefined : "MIXED_TERMS";
  if (rest.some((p) => !p || !sameTerms(first, p))) return "MIXED_TERMS";
  const priced = rest as HeldPrice[];
  const nights = first.nights.map((amount, i) => priced.reduce((sum, p) => sum + (p.nights[i] ?? 0), amount));
  return { ...first, nights, total: nights.reduce((sum, amount) => sum + amount, 0) };
}
