import type { PaymentResultMessage, TransactionResultMessage } from "@saga/contracts";
import type { Principal } from "@saga/platform/http";
import type { Delivered } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import type { ChangeBody, ListQuery, NewReservation } from "../schemas/reservations.js";
import { book } from "./booking.js";
import { cancel, expireOverdue, resend } from "./cancellation.js";
import { quoteChange, requestChange } from "./date-change.js";
import type { ReservationsDeps } from "./deps.js";
import { get, history, list } from "./reading.js";
import { applyPaymentReplies, applyRoomReplies } from "./results.js";

export type { ReservationsDeps } from "./deps.js";
export type Reservations = ReturnType<typeof createReservations>;

/**
 * The reservation service's side of the saga: a guest books and cancels over HTTP; the room
 * service's replies and the payment service's move bookings on; the sweeps give up on replies that
 * do not come and send again the room-cancels and refunds not confirmed. Every state change and the
 * messages it owes are written in one transaction.
 */
export function createReservations(deps: ReservationsDeps) {
  return {
    book: (guest: Principal, input: NewReservation, idempotencyKey?: string) =>
      book(deps, guest, input, idempotencyKey),
    get: (caller: Principal, id: string) => get(deps, caller, id),
    history: (caller: Principal, id: string) => history(deps, caller, id),
    list: (caller: Principal, query: ListQuery) => list(deps, caller, query),
    cancel: (caller: Principal, id: string) => cancel(deps, caller, id),
    /** What moving a booking to other dates would cost now, and whether it can; nothing is held. */
    quoteChange: (caller: Principal, id: string, to: { checkIn: string; checkOut: string }) =>
      quoteChange(deps, caller, id, to),
    /** Moves a confirmed booking to other dates: CHANGE_PENDING until the room service answers. */
    requestChange: (caller: Principal, id: string, body: ChangeBody) => requestChange(deps, caller, id, body),
    applyRoomReplies: (tx: SqlTransaction, delivered: Delivered<TransactionResultMessage>[]) =>
      applyRoomReplies(deps, tx, delivered),
    applyPaymentReplies: (tx: SqlTransaction, delivered: Delivered<PaymentResultMessage>[]) =>
      applyPaymentReplies(deps, tx, delivered),
    /** Gives up on up to `limit` bookings whose reply did not come before their deadline. */
    expireOverdue: (limit: number) => expireOverdue(deps, limit),
    /**
     * Sends again, for up to `limit` bookings, the room-cancel or the refund not confirmed in time;
     * the room and payment services answer them the same however often they come.
     */
    resend: (what: "cancel" | "refund" | "change", limit: number) => resend(deps, what, limit),
  };
}
