import {
  firstRoomOf,
  newPaymentAdjust,
  newPaymentCharge,
  newPaymentRefund,
  newRoomCancel,
  newRoomChange,
  type Topics,
} from "@saga/contracts";
import type { OutboxEntry } from "@saga/platform/messaging";
import type { BookingUpdate, SagaRow } from "./reservation-queries.js";
import * as queries from "./reservation-queries.js";
import { type Finished, isFinal, type Owed, type SagaState, type Step } from "./saga.js";

/** Where an event came from: the reply (its id and trace, which the messages it causes carry on), or none. */
export interface Source {
  messageId: string | null;
  traceId: string | null;
  trace?: Record<string, string>;
}

/** A booking while a chunk of events is worked out: its row as locked, its state so far, its update so far. */
export interface Progress {
  row: SagaRow;
  state: SagaState;
  update: BookingUpdate;
  touched: boolean;
  finished?: Finished;
}

export function progressOf(row: SagaRow): Progress {
  return {
    row,
    touched: false,
    state: {
      status: row.status,
      reason: row.reason,
      price: row.price,
      checkIn: row.checkIn,
      checkOut: row.checkOut,
      change: row.change,
      changeKept: row.changeKept,
      cancelOwed: row.cancelOwed,
      refundOwed: row.refundOwed,
    },
    update: queries.noUpdate(row.id),
  };
}

/** The messages a booking owes, as outbox rows: a room-cancel keyed by its (first) room, payments by the booking. */
export function owedMessages(
  topics: Topics,
  row: Pick<SagaRow, "id" | "rooms" | "checkIn" | "checkOut" | "guestId" | "price">,
  owed: Owed,
  headers?: Record<string, string>,
): OutboxEntry {
  const reservationId = row.id;
  if (owed.kind === "cancel") {
    const { rooms, checkIn, checkOut } = row;
    const message = newRoomCancel({ reservationId, rooms, checkIn, checkOut });
    const key = firstRoomOf(message);
    return { messageId: message.messageId, topic: topics.roomCancel, key, payload: message, headers };
  }
  if (owed.kind === "change") {
    const { changeId, from, to, expectedTotal } = owed;
    const message = newRoomChange({
      reservationId,
      changeId,
      rooms: row.rooms,
      from,
      to,
      ...(expectedTotal ? { expectedTotal } : {}),
    });
    return {
      messageId: message.messageId,
      topic: topics.roomChange,
      key: firstRoomOf(message),
      payload: message,
      headers,
    };
  }
  const price = row.price;
  if (!price || row.guestId === null)
    throw new Error(`booking ${reservationId} owes a payment but has no price or guest`);
  const { guestId, currency } = { guestId: row.guestId, currency: price.currency };
  const message =
    owed.kind === "adjust"
      ? newPaymentAdjust({ reservationId, adjustId: owed.adjustId, guestId, currency, target: owed.target })
      : owed.kind === "charge"
        ? newPaymentCharge({ reservationId, guestId: row.guestId, amount: price.total, currency: price.currency })
        : newPaymentRefund({
            reservationId,
            guestId: row.guestId,
            currency: price.currency,
            keep: owed.keep,
            reason: owed.reason,
          });
  return { messageId: message.messageId, topic: topics.paymentRequest, key: reservationId, payload: message, headers };
}

/**
 * Applies a step to a booking's progress: its running state, the update the chunk writes, and the
 * messages it owes (returned). A booking without a guest cannot be charged: its prepaid nights are
 * given back, as for a declined charge.
 */
export function advance(topics: Topics, p: Progress, proposed: Step, source: Source, now: Date): OutboxEntry[] {
  const step: Step =
    proposed.owes.some((o) => o.kind === "charge") && p.row.guestId === null
      ? {
          ...proposed,
          status: "RELEASE_PENDING",
          reason: "PAYMENT_DECLINED",
          owes: [{ kind: "cancel" }],
          paymentDeadline: false,
        }
      : proposed;
  const { state, update } = p;
  const moved = step.status !== state.status || step.reason !== state.reason || step.note !== undefined;
  if (moved) {
    update.note = step.note ?? null;
    update.status = step.status;
    update.reason = step.reason;
    update.messageId = source.messageId;
    update.traceId = source.traceId;
    // A date change ending back in SUCCESS does not complete the booking again (its metrics, completed_at).
    if (isFinal(step.status) && state.status !== "CHANGE_PENDING") {
      update.completes = true;
      p.finished = {
        status: step.status as Finished["status"],
        reason: step.reason,
        createdAt: p.row.createdAt,
        completedAt: now,
      };
    }
    if (step.status === "FAILURE" || step.status === "CANCEL") update.leaves = true;
  }
  if (step.price) update.price = step.price;
  if (step.charged !== undefined) update.charged = step.charged;
  if (step.refund) {
    update.refunded = step.refund.refunded;
    update.kept = step.refund.kept;
  }
  if (step.paymentDeadline) update.paymentDeadline = true;
  if (step.change !== undefined) {
    update.change = step.change;
    state.change = step.change;
  }
  if (step.stay) {
    update.stay = step.stay;
    state.checkIn = step.stay.checkIn;
    state.checkOut = step.stay.checkOut;
  }
  if (step.lastChange) update.lastChange = step.lastChange;
  if (step.changeDeadline) update.changeDeadline = true;
  if (step.changeKept !== undefined) {
    update.changeKept = step.changeKept;
    state.changeKept = step.changeKept;
  }
  for (const settled of step.settles) {
    update[settled] = "settle";
    if (settled === "cancel") state.cancelOwed = false;
    else state.refundOwed = false;
  }
  const row = { ...p.row, price: step.price ?? state.price, checkIn: state.checkIn, checkOut: state.checkOut };
  const entries = step.owes.map((owed) => {
    if (owed.kind === "cancel") {
      update.cancel = "owe";
      state.cancelOwed = true;
    }
    if (owed.kind === "refund") {
      update.refund = "owe";
      update.refundKeep = owed.keep;
      state.refundOwed = true;
    }
    return owedMessages(topics, row, owed, source.trace);
  });
  state.status = step.status;
  state.reason = step.reason;
  if (step.price) state.price = step.price;
  p.touched ||= moved || entries.length > 0 || step.settles.length > 0 || step.charged !== undefined || !!step.refund;
  return entries;
}
