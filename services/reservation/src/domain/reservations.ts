import type { Principal } from "@saga/platform/http";
import type { ListQuery, NewReservation } from "../schemas/reservations.js";
import { book } from "./booking.js";
import { cancel, sendCancels } from "./cancellation.js";
import type { ReservationsDeps } from "./deps.js";
import { get, history, list } from "./reading.js";
import * as queries from "./reservation-queries.js";
import { applyResults } from "./results.js";

export type { ReservationsDeps } from "./deps.js";
export type Reservations = ReturnType<typeof createReservations>;

/**
 * The reservation service's side of the saga: a guest books and cancels over HTTP, the room
 * service's replies move bookings on, and the sweeps fail overdue bookings and send unconfirmed
 * cancels again. Every state change and the message it owes are written in one transaction.
 */
export function createReservations(deps: ReservationsDeps) {
  return {
    book: (guest: Principal, input: NewReservation, idempotencyKey?: string) =>
      book(deps, guest, input, idempotencyKey),
    get: (caller: Principal, id: string) => get(deps, caller, id),
    history: (caller: Principal, id: string) => history(deps, caller, id),
    list: (caller: Principal, query: ListQuery) => list(deps, caller, query),
    cancel: (caller: Principal, id: string) => cancel(deps, caller, id),
    applyResults,
    /**
     * Fails up to `limit` bookings whose reply did not come before their deadline (reason TIMEOUT)
     * and sends a room-cancel for each, so nights taken by a reply still on its way are given back.
     */
    expireOverdue: (limit: number) => sendCancels(deps, queries.expireOverdue(limit, deps.cancelResendMs)),
    /**
     * Sends again, for up to `limit` bookings, the room-cancel the room service has not confirmed
     * in time: it may have been dead-lettered, deleted, or outlived by the topic's retention while
     * the room service was away. The room service answers a cancel the same however often it comes.
     */
    resendCancels: (limit: number) =>
      sendCancels(deps, queries.claimDueCancels(limit, deps.cancelResendMs, deps.cancelResendMaxMs)),
  };
}
