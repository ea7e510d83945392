import {
  type HeldPrice,
  type Money,
  type PaymentResultMessage,
  penaltyOf,
  type TransactionResultMessage,
} from "@saga/contracts";
import type { ReservationStatus } from "../generated/prisma/enums.js";

/** The states a booking ends in. */
export const FINAL_STATUSES = ["SUCCESS", "FAILURE", "CANCEL"] as const satisfies readonly ReservationStatus[];
export const isFinal = (status: ReservationStatus) => (FINAL_STATUSES as readonly ReservationStatus[]).includes(status);

/** A stay's dates. */
export interface Stay {
  checkIn: string;
  checkOut: string;
}
export const sameStay = (a: Stay, b: Stay) => a.checkIn === b.checkIn && a.checkOut === b.checkOut;
export const stayText = (s: Stay) => `${s.checkIn}..${s.checkOut}`;

/** How a date change ends, once the room service said where the hold is: kept until the money follows. */
export interface ChangeOutcome {
  at: Stay;
  price?: HeldPrice;
  moved: boolean;
  lastChange: LastChange;
  note: string;
}

/**
 * A date change under way (CHANGE_PENDING): the dates asked for, the stay it moves from, whether
 * it was sent back (to `from`) past its deadline and why, and for a prepaid booking the money:
 * CHARGING the difference before the nights move, MOVING them, or SETTLING what was charged once
 * the room service answered (`outcome`), each awaiting the net charge `target`.
 */
export interface PendingChange extends Stay {
  from: Stay;
  reverting: boolean;
  reason: string | null;
  phase: "CHARGING" | "MOVING" | "SETTLING";
  /** The room-change awaited (the change, or the change sent back): its answer names it. */
  changeId: string;
  /** The adjustment awaited (CHARGING, SETTLING): its answer names it. */
  adjustId?: string;
  /** The total the room-change names: the quoted one for a prepaid booking, or the guest's. */
  expectedTotal?: Money;
  /** What a prepaid booking keeps if it moves to a cheaper stay this late. */
  penalty: number;
  /** What the booking was charged net of refunds, as last confirmed (0 unless prepaid). */
  net: number;
  /** The net charge an adjustment under way brings it to. */
  target?: number;
  outcome?: ChangeOutcome;
}

/** How the last date change ended: the booking moved (CHANGED) or kept its dates (REFUSED, with why). */
export interface LastChange {
  status: "CHANGED" | "REFUSED";
  reason: string | null;
  from: Stay;
  to: Stay;
  at: string;
}

/** A booking as the saga sees it: its state, its price once known, and what is still owed to it. */
export interface SagaState {
  status: ReservationStatus;
  reason: string | null;
  price: HeldPrice | null;
  checkIn: string;
  checkOut: string;
  /** The date change under way, if any. */
  change: PendingChange | null;
  /** What earlier date changes kept (their penalties): charged on top of the total. */
  changeKept: number;
  /** A room-cancel is owed until the room service confirms it (CANCEL). */
  cancelOwed: boolean;
  /** A refund is owed until the payment service confirms it (REFUNDED). */
  refundOwed: boolean;
}

/**
 * A message a step owes: the charge of the total, the room-cancel, the room-change (from the stay
 * held to another, at most `expectedTotal`), the adjustment of the net charge to `target`, or the
 * refund of all but `keep`.
 */
export type Owed =
  | { kind: "charge" }
  | { kind: "cancel" }
  | { kind: "change"; changeId: string; from: Stay; to: Stay; expectedTotal?: Money }
  | { kind: "adjust"; adjustId: string; target: number }
  | { kind: "refund"; keep: number; reason: "CANCELLED" | "BOOKING_FAILED" };

/** What one event does to a booking: its next state, and what it learns, settles and owes. */
export interface Step {
  status: ReservationStatus;
  reason: string | null;
  price?: HeldPrice;
  charged?: number;
  refund?: { refunded: number; kept: number };
  settles: ("cancel" | "refund")[];
  owes: Owed[];
  /** A new deadline starts: the charge's (AWAITING_PAYMENT). */
  paymentDeadline?: boolean;
  /** A date change starts, moves on, is sent back, or ends (null). */
  change?: PendingChange | null;
  /** A date change's deadline starts now (its nights asked for, or its charge). */
  changeDeadline?: boolean;
  /** What earlier date changes kept, now. */
  changeKept?: number;
  /** The booking's dates now (a change ended). */
  stay?: Stay;
  lastChange?: LastChange;
  /** What the history says of this step, where the booking's reason does not. */
  note?: string;
}

export const stay = (state: SagaState): Step => ({ status: state.status, reason: state.reason, settles: [], owes: [] });
export const prepaid = (price: HeldPrice | null | undefined) => price?.payment === "PREPAID" && price.total > 0;

/** Once nothing is owed any more, a compensating booking reaches its final state. */
function settle(step: Step, state: SagaState): Step {
  const cancelOwed = state.cancelOwed && !step.settles.includes("cancel");
  const refundOwed = state.refundOwed && !step.settles.includes("refund");
  if (cancelOwed || refundOwed) return step;
  if (step.status === "CANCEL_PENDING") return { ...step, status: "CANCEL", reason: null };
  if (step.status === "RELEASE_PENDING") return { ...step, status: "FAILURE" };
  return step;
}

/**
 * What a room service reply does. Anything not listed changes nothing: a late reply to a booking
 * that was cancelled or failed meanwhile is settled by the room-cancel already owed.
 */
export function onRoomReply(state: SagaState, result: TransactionResultMessage): Step {
  if (state.status === "PENDING" && result.status === "SUCCESS") {
    const price = "price" in result ? result.price : undefined;
    if (prepaid(price)) {
      return {
        status: "AWAITING_PAYMENT",
        reason: null,
        price,
        settles: [],
        owes: [{ kind: "charge" }],
        paymentDeadline: true,
      };
    }
    return { status: "SUCCESS", reason: null, price, settles: [], owes: [] };
  }
  if (state.status === "PENDING" && result.status === "FAILURE") {
    return { status: "FAILURE", reason: result.reason, settles: [], owes: [] };
  }
  if (result.status === "CANCEL" && state.cancelOwed) return settle({ ...stay(state), settles: ["cancel"] }, state);
  return stay(state);
}

/** What a payment service reply does. */
export function onPaymentReply(state: SagaState, result: PaymentResultMessage): Step {
  if (result.status === "CHARGED") {
    if (state.status === "AWAITING_PAYMENT")
      return { status: "SUCCESS", reason: null, charged: result.amount, settles: [], owes: [] };
    // A charge that landed after the booking was cancelled or failed: the refund owed gives it back.
    if (state.status === "CANCEL_PENDING" || state.status === "RELEASE_PENDING") {
      return { ...stay(state), charged: result.amount };
    }
    return stay(state);
  }
  if (result.status === "DECLINED") {
    if (state.status !== "AWAITING_PAYMENT") return stay(state);
    return { status: "RELEASE_PENDING", reason: "PAYMENT_DECLINED", settles: [], owes: [{ kind: "cancel" }] };
  }
  // An adjustment's answer is a date change's, which change-saga.ts applies.
  if (result.status === "ADJUSTED" || result.status === "ADJUST_DECLINED" || !state.refundOwed) return stay(state);
  const refund = { refunded: result.refunded, kept: result.kept };
  return settle({ ...stay(state), refund, settles: ["refund"] }, state);
}

/** Why a guest's cancel is refused, or undefined when it goes ahead. */
export function cannotCancel(state: SagaState): string | undefined {
  if (state.status === "FAILURE") return `it failed (${state.reason})`;
  if (state.status === "CHANGE_PENDING") return "a date change is under way: cancel once it has ended";
  if (state.status === "RELEASE_PENDING") return `it is failing (${state.reason}): its nights are being given back`;
  return undefined;
}

/**
 * A guest's cancel (or staff's). Before SUCCESS it is free: a charge asked for is refunded in full
 * whenever it lands. After SUCCESS, a prepaid booking keeps its penalty (`penaltyOf` its policy).
 */
export function onCancel(state: SagaState, now: Date): Step {
  if (state.status === "CANCEL_PENDING" || state.status === "CANCEL") return stay(state);
  const owes: Owed[] = [{ kind: "cancel" }];
  if (state.status === "AWAITING_PAYMENT") owes.push({ kind: "refund", keep: 0, reason: "CANCELLED" });
  if (state.status === "SUCCESS" && state.price && prepaid(state.price)) {
    const keep = penaltyOf(state.price.cancellation, state.price.nights, state.checkIn, now) + state.changeKept;
    owes.push({ kind: "refund", keep, reason: "CANCELLED" });
  }
  return { status: "CANCEL_PENDING", reason: null, settles: [], owes };
}

/**
 * A booking whose reply did not come before its deadline: PENDING fails (TIMEOUT) and gives back
 * the nights a late reply may take; AWAITING_PAYMENT gives its nights back and any charge that
 * lands, and fails (PAYMENT_TIMEOUT) once both are confirmed.
 */
export function onDeadline(state: SagaState): Step {
  if (state.status === "PENDING")
    return { status: "FAILURE", reason: "TIMEOUT", settles: [], owes: [{ kind: "cancel" }] };
  if (state.status === "AWAITING_PAYMENT") {
    return {
      status: "RELEASE_PENDING",
      reason: "PAYMENT_TIMEOUT",
      settles: [],
      owes: [{ kind: "cancel" }, { kind: "refund", keep: 0, reason: "BOOKING_FAILED" }],
    };
  }
  return stay(state);
}

/** A booking that reached a final state, as the saga's metrics count it. */
export interface Finished {
  status: (typeof FINAL_STATUSES)[number];
  reason: string | null;
  createdAt: Date;
  completedAt: Date;
}
