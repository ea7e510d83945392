import { AppError, notFound, type Principal } from "@saga/platform/http";
import { outboxInsert } from "@saga/platform/messaging";
import { traceIdOf } from "@saga/platform/tracing";
import type { Booking } from "../schemas/reservations.js";
import { awaitedMessage, onChangeDeadline } from "./change-saga.js";
import type { ReservationsDeps } from "./deps.js";
import { advance, owedMessages, progressOf } from "./progress.js";
import { visibleTo } from "./reading.js";
import * as queries from "./reservation-queries.js";
import { cannotCancel, type Finished, onCancel, onDeadline } from "./saga.js";

/**
 * Asks the room service to give the nights back and, for a booking whose charge was asked for, the
 * payment service to refund it (all of it before SUCCESS; all but the penalty after). A PENDING
 * booking can be cancelled too: the room-cancel follows its room-reserve, and the room service
 * never keeps nights for it.
 */
export function cancel(deps: ReservationsDeps, caller: Principal, id: string): Promise<Booking> {
  return deps.sql.transaction(async (tx) => {
    const [row] = await tx.rows<queries.SagaRow>(queries.lockBooking(id));
    if (!row || !visibleTo(caller, row)) throw notFound(`reservation ${id}`);
    const progress = progressOf(row);
    const refused = cannotCancel(progress.state);
    if (refused) throw new AppError(409, "NOT_CANCELLABLE", `reservation ${id} cannot be cancelled: ${refused}`);
    const owed = advance(deps.topics, progress, onCancel(progress.state, new Date()), httpSource(), new Date());
    if (!progress.touched) return (await tx.rows<Booking>(queries.readBooking(id)))[0] as Booking;
    const [changed] = await tx.rows<Booking>(queries.writeUpdates([progress.update], owed, "http", deps));
    return changed as Booking;
  });
}

const httpSource = () => ({ messageId: null, traceId: traceIdOf() ?? null });

/**
 * Up to `limit` bookings past their deadline: PENDING ones fail (TIMEOUT) and give back the nights
 * a late reply may take; AWAITING_PAYMENT ones give back their nights and any charge that lands.
 */
export function expireOverdue(
  deps: ReservationsDeps,
  limit: number,
): Promise<{ handled: number; finished: Finished[] }> {
  return deps.sql.transaction(async (tx) => {
    const rows = await tx.rows<queries.SagaRow>(queries.lockOverdue(limit));
    if (rows.length === 0) return { handled: 0, finished: [] };
    const now = new Date();
    const bookings = rows.map(progressOf);
    const owed = bookings.flatMap((b) =>
      advance(
        deps.topics,
        b,
        b.state.status === "CHANGE_PENDING" ? onChangeDeadline(b.state, now) : onDeadline(b.state),
        httpSource(),
        now,
      ),
    );
    await tx.rows(
      queries.writeUpdates(
        bookings.map((b) => b.update),
        owed,
        "deadline",
        deps,
      ),
    );
    // Those that failed now; those still giving back their nights and charge are counted once they have.
    return { handled: rows.length, finished: bookings.flatMap((b) => (b.finished ? [b.finished] : [])) };
  });
}

/**
 * Sends again, for up to `limit` bookings, the room-cancel or the refund not confirmed in time: it
 * may have been dead-lettered, deleted, or outlived by the topic's retention while the other
 * service was away. The room and payment services answer them the same however often they come.
 */
export function resend(deps: ReservationsDeps, what: "cancel" | "refund" | "change", limit: number): Promise<number> {
  return deps.sql.transaction(async (tx) => {
    const owing = await tx.rows<queries.Owing>(
      queries.claimDue(what, limit, deps.cancelResendMs, deps.cancelResendMaxMs),
    );
    const entries = owing.flatMap((booking) => {
      if (what === "change") {
        // Due only while a change awaits an answer; a row otherwise (a fix by hand) sends nothing.
        return booking.change
          ? [owedMessages(deps.topics, booking, awaitedMessage(booking.change, booking.price))]
          : [];
      }
      const owed =
        what === "cancel"
          ? ({ kind: "cancel" } as const)
          : ({
              kind: "refund",
              keep: booking.refundKeep ?? 0,
              reason: booking.status === "RELEASE_PENDING" ? "BOOKING_FAILED" : "CANCELLED",
            } as const);
      return [owedMessages(deps.topics, booking, owed)];
    });
    if (entries.length > 0) await tx.run(outboxInsert(entries));
    return owing.length;
  });
}
