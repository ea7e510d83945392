import { type Money, type PaymentResultMessage, penaltyOf, type TransactionResultMessage } from "@saga/contracts";
import {
  type ChangeOutcome,
  type LastChange,
  type PendingChange,
  prepaid,
  type SagaState,
  type Stay,
  type Step,
  sameStay,
  stay,
  stayText,
} from "./saga.js";

// A booking's date change as a saga of its own, inside the booking's: CHANGE_PENDING from the
// guest's PATCH until the room service said where the hold is and, for a prepaid booking, the
// payment service charged or gave back the difference. Each event here is one of the booking's.

/** Why a booking's dates cannot change now, or undefined when they can. */
export function cannotChange(state: SagaState): { code: string; why: string } | undefined {
  if (state.status === "CHANGE_PENDING") return { code: "CHANGE_PENDING", why: "a date change is already under way" };
  if (state.status !== "SUCCESS")
    return { code: "NOT_CHANGEABLE", why: `only a confirmed booking can change; it is ${state.status}` };
  return undefined;
}

/** What the booking pays now, net of refunds: its total and what earlier changes kept (prepaid only). */
const netOf = (state: SagaState) => (prepaid(state.price) ? (state.price?.total ?? 0) + state.changeKept : 0);

/**
 * What a prepaid booking keeps of a cheaper stay when its dates change this late: never more than a
 * cancel would keep now (its policy's penalty), nor more than the difference. Nothing otherwise.
 */
export function changePenalty(state: SagaState, newTotal: number, now: Date): number {
  const price = state.price;
  if (!price || !prepaid(price) || newTotal >= price.total) return 0;
  return Math.min(penaltyOf(price.cancellation, price.nights, state.checkIn, now), price.total - newTotal);
}

/**
 * A guest's date change of a confirmed booking: CHANGE_PENDING, and what it owes first. A prepaid
 * booking's new total (`expectedTotal`, quoted) is known before anything moves: when it costs more,
 * the difference is charged first (a decline changes nothing), then the nights move; when it costs
 * less, the nights move first and the difference, less any penalty, is given back after.
 */
export function onChange(state: SagaState, to: Stay, expectedTotal: Money | undefined, now: Date): Step {
  const from = { checkIn: state.checkIn, checkOut: state.checkOut };
  const net = netOf(state);
  const penalty = expectedTotal ? changePenalty(state, expectedTotal.amount, now) : 0;
  const target = expectedTotal && net > 0 ? expectedTotal.amount + state.changeKept + penalty : net;
  const change: PendingChange = {
    ...to,
    from,
    reverting: false,
    reason: null,
    phase: target > net ? "CHARGING" : "MOVING",
    ...(expectedTotal ? { expectedTotal } : {}),
    penalty,
    net,
    ...(target > net ? { target } : {}),
  };
  return {
    status: "CHANGE_PENDING",
    reason: null,
    settles: [],
    owes: [
      target > net
        ? { kind: "adjust", target }
        : { kind: "change", from, to, ...(expectedTotal ? { expectedTotal } : {}) },
    ],
    change,
    changeDeadline: true,
    note: `dates to change: ${stayText(from)} to ${stayText(to)}`,
  };
}

/** The booking back to SUCCESS as the change ended: its dates and price where the hold is, and lastChange. */
function finish(state: SagaState, outcome: ChangeOutcome): Step {
  const penalty = state.change?.penalty ?? 0;
  return {
    status: "SUCCESS",
    reason: null,
    ...(outcome.price ? { price: outcome.price } : {}),
    settles: [],
    owes: [],
    change: null,
    stay: outcome.at,
    lastChange: outcome.lastChange,
    ...(outcome.moved && penalty > 0 ? { changeKept: state.changeKept + penalty } : {}),
    note: outcome.note,
  };
}

/**
 * Once the hold's answer is known, the money follows it: a prepaid booking pays the price of the
 * stay it holds (and the penalty, if it moved to a cheaper one late). If what it was charged
 * differs, the difference is adjusted first and the booking waits (SETTLING); else it is done.
 */
function settleMoney(state: SagaState, change: PendingChange, outcome: ChangeOutcome): Step {
  if (change.net === 0) return finish(state, outcome);
  const total = outcome.price?.total ?? state.price?.total ?? 0;
  const target = total + state.changeKept + (outcome.moved ? change.penalty : 0);
  if (target === change.net) return finish(state, outcome);
  return {
    status: "CHANGE_PENDING",
    reason: state.reason,
    settles: [],
    owes: [{ kind: "adjust", target }],
    change: { ...change, phase: "SETTLING", target, outcome },
    note: `${outcome.note}; the charge adjusted to ${target}`,
  };
}

type ChangeReply = Extract<TransactionResultMessage, { status: "CHANGED" | "CHANGE_REFUSED" }>;
export const isChangeReply = (result: TransactionResultMessage): result is ChangeReply =>
  result.status === "CHANGED" || result.status === "CHANGE_REFUSED";

/**
 * A room service's answer to a room-change. Every answer says where the hold is now (CHANGED: at
 * the dates it names; CHANGE_REFUSED: at the dates it names, unmoved) and at what price, and the
 * booking takes them: it is at the new dates or its old ones, never between. One exception: once
 * the change was sent back past its deadline, a CHANGED at the new dates answers the change, not
 * the sending back, whose answer follows on the same partition and settles it.
 */
export function onChangeReply(state: SagaState, result: ChangeReply, now: Date): Step {
  const change = state.change;
  if (state.status !== "CHANGE_PENDING" || !change || change.phase !== "MOVING") return stay(state);
  const asked: Stay = { checkIn: change.checkIn, checkOut: change.checkOut };
  const held: Stay | undefined =
    result.checkIn && result.checkOut ? { checkIn: result.checkIn, checkOut: result.checkOut } : undefined;
  if (change.reverting && result.status === "CHANGED" && held && sameStay(held, asked)) return stay(state);
  // NOT_HELD (never for a confirmed booking, whose hold the room service keeps): the dates stay.
  const at = held ?? change.from;
  const moved = sameStay(at, asked);
  const reason = moved
    ? change.reverting
      ? "AFTER_DEADLINE"
      : null
    : result.status === "CHANGE_REFUSED"
      ? result.reason
      : (change.reason ?? "TIMEOUT");
  const lastChange: LastChange = {
    status: moved ? "CHANGED" : "REFUSED",
    reason,
    from: change.from,
    to: asked,
    at: now.toISOString(),
  };
  const note = moved
    ? `dates changed: ${stayText(change.from)} to ${stayText(asked)}${reason ? ` (${reason})` : ""}`
    : `dates kept: ${stayText(change.from)} (${reason})`;
  return settleMoney(state, change, { at, ...(result.price ? { price: result.price } : {}), moved, lastChange, note });
}

/** The booking kept its dates before anything moved (the difference declined, or not charged in time). */
function kept(change: PendingChange, reason: string, now: Date): ChangeOutcome {
  const to = { checkIn: change.checkIn, checkOut: change.checkOut };
  return {
    at: change.from,
    moved: false,
    lastChange: { status: "REFUSED", reason, from: change.from, to, at: now.toISOString() },
    note: `dates kept: ${stayText(change.from)} (${reason})`,
  };
}

/**
 * The payment service's answer to an adjustment. CHARGING: the difference charged, the nights
 * move next (the room-change, with its deadline); declined, nothing moved and the dates stay.
 * SETTLING: the charge is where the hold's price put it, and the change ends. An answer naming
 * another net answers an earlier adjustment, and changes nothing.
 */
export function onChangePayment(state: SagaState, result: PaymentResultMessage, now: Date): Step {
  const change = state.change;
  if (state.status !== "CHANGE_PENDING" || !change || change.target === undefined) return stay(state);
  if (result.status === "DECLINED") {
    if (change.phase === "CHARGING") return finish(state, kept(change, "PAYMENT_DECLINED", now));
    // Giving back never declines for a charged booking; should it, the change still ends where the hold is.
    if (change.phase === "SETTLING" && change.outcome) return finish(state, change.outcome);
    return stay(state);
  }
  if (result.status !== "ADJUSTED" || result.charged - result.refunded !== change.target) return stay(state);
  const net = change.target;
  if (change.phase === "SETTLING" && change.outcome) return finish(state, change.outcome);
  if (change.phase !== "CHARGING") return stay(state);
  const to = { checkIn: change.checkIn, checkOut: change.checkOut };
  const { target: _, ...rest } = change;
  return {
    status: "CHANGE_PENDING",
    reason: null,
    settles: [],
    owes: [
      {
        kind: "change",
        from: change.from,
        to,
        ...(change.expectedTotal ? { expectedTotal: change.expectedTotal } : {}),
      },
    ],
    change: { ...rest, phase: "MOVING", net },
    changeDeadline: true,
    note: `the difference charged (${net} in all): the nights move next`,
  };
}

/**
 * A change not answered in time. Its charge not confirmed: the charge is brought back to what it
 * was (whatever became of the first adjustment) and the dates stay. Its nights not moved: the change
 * is sent back, from the new dates to the old, at most the old total; the room service applies it
 * after the change (same partition), or answers at once that the hold is at the old dates, and its
 * answer, not the change's, settles the booking.
 */
export function onChangeDeadline(state: SagaState, now: Date): Step {
  const change = state.change;
  if (state.status !== "CHANGE_PENDING" || !change || change.reverting) return stay(state);
  if (change.phase === "CHARGING") {
    const outcome = kept(change, "TIMEOUT", now);
    return {
      status: "CHANGE_PENDING",
      reason: "TIMEOUT",
      settles: [],
      owes: [{ kind: "adjust", target: change.net }],
      change: { ...change, phase: "SETTLING", target: change.net, outcome },
      note: `the difference not charged in time: the charge brought back to ${change.net}`,
    };
  }
  if (change.phase !== "MOVING") return stay(state);
  const to = { checkIn: change.checkIn, checkOut: change.checkOut };
  const price = state.price;
  const oldTotal = price && price.total > 0 ? { expectedTotal: { amount: price.total, currency: price.currency } } : {};
  return {
    status: "CHANGE_PENDING",
    reason: "TIMEOUT",
    settles: [],
    owes: [{ kind: "change", from: to, to: change.from, ...oldTotal }],
    change: { ...change, reverting: true, reason: "TIMEOUT" },
    note: `date change not answered in time: sent back to ${stayText(change.from)}`,
  };
}
