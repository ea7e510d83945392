import {
  type Money,
  newId,
  type PaymentResultMessage,
  penaltyOf,
  type TransactionResultMessage,
} from "@saga/contracts";
import {
  type ChangeOutcome,
  type LastChange,
  type Owed,
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
// payment service charged or gave back the difference. Each message it sends has an id (the
// room-change's `changeId`, the adjustment's `adjustId`), kept when it is sent again and named in
// its answer: only the answer to the message awaited now moves the change on, so an answer to an
// earlier change, or to a change sent back, is never taken for another's.

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
 * What a prepaid booking's date change keeps when asked for inside its cancellation policy's
 * penalty window: what a cancel would keep now. It is kept whatever the new dates (a later cancel
 * keeps it too), so moving a stay out of its window, or shrinking it, does not dodge the penalty.
 * Nothing before the window, nor for a booking not prepaid.
 */
export function changePenalty(state: SagaState, now: Date): number {
  const price = state.price;
  if (!price || !prepaid(price)) return 0;
  return penaltyOf(price.cancellation, price.nights, state.checkIn, now);
}

const changeMessage = (change: PendingChange): Owed => ({
  kind: "change",
  changeId: change.changeId,
  from: change.from,
  to: { checkIn: change.checkIn, checkOut: change.checkOut },
  ...(change.expectedTotal ? { expectedTotal: change.expectedTotal } : {}),
});

/**
 * A guest's date change of a confirmed booking: CHANGE_PENDING, and what it owes first. A prepaid
 * booking's new total (`expectedTotal`, quoted) is known before anything moves: when it and the
 * penalty cost more than was paid, the difference is charged first (a decline changes nothing),
 * then the nights move; otherwise the nights move first and what was paid over is given back after.
 */
export function onChange(state: SagaState, to: Stay, expectedTotal: Money | undefined, now: Date): Step {
  const from = { checkIn: state.checkIn, checkOut: state.checkOut };
  const net = netOf(state);
  const penalty = net > 0 ? changePenalty(state, now) : 0;
  const target = expectedTotal && net > 0 ? expectedTotal.amount + state.changeKept + penalty : net;
  const charging = target > net;
  const change: PendingChange = {
    ...to,
    from,
    reverting: false,
    reason: null,
    phase: charging ? "CHARGING" : "MOVING",
    changeId: newId(),
    ...(charging ? { adjustId: newId(), target } : {}),
    ...(expectedTotal ? { expectedTotal } : {}),
    penalty,
    net,
  };
  return {
    status: "CHANGE_PENDING",
    reason: null,
    settles: [],
    owes: [awaitedMessage(change, state.price)],
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
 * stay it holds (and the penalty, if it moved inside its penalty window). If what it was charged
 * differs, the difference is adjusted first and the booking waits (SETTLING); else it is done.
 */
function settleMoney(state: SagaState, change: PendingChange, outcome: ChangeOutcome): Step {
  if (change.net === 0) return finish(state, outcome);
  const total = outcome.price?.total ?? state.price?.total ?? 0;
  const target = total + state.changeKept + (outcome.moved ? change.penalty : 0);
  if (target === change.net) return finish(state, outcome);
  const settling: PendingChange = { ...change, phase: "SETTLING", adjustId: newId(), target, outcome };
  return {
    status: "CHANGE_PENDING",
    reason: state.reason,
    settles: [],
    owes: [awaitedMessage(settling, state.price)],
    change: settling,
    note: `${outcome.note}; the charge adjusted to ${target}`,
  };
}

type ChangeReply = Extract<TransactionResultMessage, { status: "CHANGED" | "CHANGE_REFUSED" }>;
export const isChangeReply = (result: TransactionResultMessage): result is ChangeReply =>
  result.status === "CHANGED" || result.status === "CHANGE_REFUSED";

/**
 * The room service's answer to the room-change awaited (any other is ignored). Every answer says
 * where the hold is now (CHANGED: at the dates it names; CHANGE_REFUSED: at the dates it names,
 * unmoved) and at what price, and the booking takes them: it is at the new dates or its old ones,
 * never between. Once the change was sent back past its deadline, the sending back is awaited: its
 * CHANGED at the old dates keeps them (TIMEOUT); refused (the old nights taken meanwhile, or
 * another price), the change stands (AFTER_DEADLINE).
 */
export function onChangeReply(state: SagaState, result: ChangeReply, now: Date): Step {
  const change = state.change;
  if (state.status !== "CHANGE_PENDING" || !change || change.phase !== "MOVING") return stay(state);
  if (result.changeId !== change.changeId) return stay(state);
  const asked: Stay = { checkIn: change.checkIn, checkOut: change.checkOut };
  const held: Stay | undefined =
    result.checkIn && result.checkOut ? { checkIn: result.checkIn, checkOut: result.checkOut } : undefined;
  // NOT_HELD (never for a confirmed booking, whose hold the room service keeps): the dates stay.
  const at = held ?? change.from;
  const moved = sameStay(at, asked);
  const reason = moved
    ? change.reverting
      ? "AFTER_DEADLINE"
      : null
    : change.reverting
      ? (change.reason ?? "TIMEOUT")
      : result.status === "CHANGE_REFUSED"
        ? result.reason
        : "NOT_HELD";
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
 * The payment service's answer to the adjustment awaited (any other is ignored). CHARGING: the
 * difference charged, the nights move next (the room-change, with its deadline); declined, nothing
 * moved and the dates stay. SETTLING: the charge is where the hold's price put it, and the change
 * ends.
 */
export function onChangePayment(state: SagaState, result: PaymentResultMessage, now: Date): Step {
  const change = state.change;
  if (state.status !== "CHANGE_PENDING" || !change || change.adjustId === undefined) return stay(state);
  if (result.status !== "ADJUSTED" && result.status !== "ADJUST_DECLINED") return stay(state);
  if (result.adjustId !== change.adjustId) return stay(state);
  if (result.status === "ADJUST_DECLINED") {
    // Declined, nothing moved; but a copy of the adjustment sent before the answer came may still
    // charge, should the deposit grow meanwhile: the charge is brought back to what it was first.
    if (change.phase === "CHARGING") return bringBack(state, change, kept(change, "PAYMENT_DECLINED", now));
    // Giving back is never declined for a charged booking; should it be, the change ends where the hold is.
    return change.outcome ? finish(state, change.outcome) : stay(state);
  }
  if (change.phase === "SETTLING" && change.outcome) return finish(state, change.outcome);
  if (change.phase !== "CHARGING") return stay(state);
  const { adjustId: _, target: __, ...rest } = change;
  const moving: PendingChange = { ...rest, phase: "MOVING", net: result.charged - result.refunded };
  return {
    status: "CHANGE_PENDING",
    reason: null,
    settles: [],
    owes: [changeMessage(moving)],
    change: moving,
    changeDeadline: true,
    note: `the difference charged (${moving.net} in all): the nights move next`,
  };
}

/**
 * A change whose difference was not charged (declined, or not answered in time) keeps its dates;
 * its charge is brought back to what it was, whatever became of the adjustment and its copies
 * (adjustments of one booking are applied in order), and the change ends once that is confirmed.
 */
function bringBack(state: SagaState, change: PendingChange, outcome: ChangeOutcome): Step {
  const settling: PendingChange = { ...change, phase: "SETTLING", adjustId: newId(), target: change.net, outcome };
  const reason = outcome.lastChange.reason ?? "";
  return {
    status: "CHANGE_PENDING",
    reason: reason === "TIMEOUT" ? "TIMEOUT" : null,
    settles: [],
    owes: [awaitedMessage(settling, state.price)],
    change: settling,
    note: `the difference not charged (${reason}): the charge brought back to ${change.net}`,
  };
}

/** The room-change sent back names the booking's old total: at another price, the change stands. */
const oldTotalOf = (price: SagaState["price"]) =>
  price && price.total > 0 ? { expectedTotal: { amount: price.total, currency: price.currency } } : {};

/**
 * The message a change under way awaits an answer to, to send (again, when none came, with the
 * same id): the adjustment of its charge (CHARGING, SETTLING), the change sent back (past its
 * deadline), or the change. Each is answered the same however often it comes: a target charge
 * reached moves nothing, a hold at the dates asked for answers CHANGED again.
 */
export function awaitedMessage(change: PendingChange, price: SagaState["price"]): Owed {
  if (change.phase !== "MOVING")
    return { kind: "adjust", adjustId: change.adjustId ?? newId(), target: change.target ?? change.net };
  if (!change.reverting) return changeMessage(change);
  const to = { checkIn: change.checkIn, checkOut: change.checkOut };
  return { kind: "change", changeId: change.changeId, from: to, to: change.from, ...oldTotalOf(price) };
}

/**
 * A change not answered in time. Its charge not confirmed: the charge is brought back to what it
 * was (whatever became of the first adjustment) and the dates stay. Its nights not moved: the change
 * is sent back (a room-change of its own, from the new dates to the old, at the old total); the
 * room service applies it after the change (same partition), or answers at once that the hold is at
 * the old dates, and its answer, not the change's, settles the booking.
 */
export function onChangeDeadline(state: SagaState, now: Date): Step {
  const change = state.change;
  if (state.status !== "CHANGE_PENDING" || !change || change.reverting) return stay(state);
  if (change.phase === "CHARGING") return bringBack(state, change, kept(change, "TIMEOUT", now));
  if (change.phase !== "MOVING") return stay(state);
  const reverting: PendingChange = { ...change, reverting: true, reason: "TIMEOUT", changeId: newId() };
  return {
    status: "CHANGE_PENDING",
    reason: "TIMEOUT",
    settles: [],
    owes: [awaitedMessage(reverting, state.price)],
    change: reverting,
    note: `date change not answered in time: sent back to ${stayText(change.from)}`,
  };
}
