import { newRoomCancel } from "@saga/contracts";
import { AppError, notFound, type Principal } from "@saga/platform/http";
import { outboxInsert } from "@saga/platform/messaging";
import type { Query } from "@saga/platform/sql";
import type { Booking } from "../schemas/reservations.js";
import type { ReservationsDeps } from "./deps.js";
import { visibleTo } from "./reading.js";
import * as queries from "./reservation-queries.js";

/** A room-cancel for a booking, keyed by its room. */
function cancelOf({ topics }: ReservationsDeps, booking: queries.OwedCancel) {
  const { id: reservationId, roomId, checkIn, checkOut } = booking;
  const message = newRoomCancel({ reservationId, roomId, checkIn, checkOut });
  return { messageId: message.messageId, topic: topics.roomCancel, key: roomId, payload: message };
}

/**
 * Asks the room service to give the nights back. A PENDING booking can be cancelled too: the
 * room-cancel follows its room-reserve, and the room service never keeps nights for it.
 */
export function cancel(deps: ReservationsDeps, caller: Principal, id: string): Promise<Booking> {
  return deps.sql.transaction(async (tx) => {
    const [booking] = await tx.rows<Booking>(queries.lockBooking(id));
    if (!booking || !visibleTo(caller, booking)) throw notFound(`reservation ${id}`);
    if (booking.status === "FAILURE") {
      throw new AppError(
        409,
        "NOT_CANCELLABLE",
        `reservation ${id} failed (${booking.reason}); there is nothing to cancel`,
      );
    }
    if (booking.status === "CANCEL" || booking.status === "CANCEL_PENDING") return booking;
    const owed = cancelOf(deps, booking);
    const [changed] = await tx.rows<Booking>(queries.markCancelPending(id, deps.cancelResendMs, owed));
    return changed as Booking;
  });
}

/**
 * In one transaction: marks bookings (an UPDATE returning them), then owes each a room-cancel, built
 * from what the UPDATE returned (so in a statement of its own); returns them.
 */
export function sendCancels(deps: ReservationsDeps, mark: Query) {
  return deps.sql.transaction(async (tx) => {
    const owed = await tx.rows<queries.OwedCancel>(mark);
    if (owed.length > 0) await tx.run(outboxInsert(owed.map((booking) => cancelOf(deps, booking))));
    return owed;
  });
}
