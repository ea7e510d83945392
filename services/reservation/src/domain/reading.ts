import { AppError, notFound, type Principal } from "@saga/platform/http";
import {
  type Booking,
  type BookingHistory,
  encodeCheckInCursor,
  encodeCursor,
  type ListQuery,
} from "../schemas/reservations.js";
import type { ReservationsDeps } from "./deps.js";
import * as queries from "./reservation-queries.js";

/** The owner sees their booking, staff see any; anyone else learns exactly what an unknown id tells. */
export const visibleTo = (caller: Principal, booking: { guestId: string | null }) =>
  caller.staff || (booking.guestId !== null && booking.guestId === caller.id);

export async function get({ sql }: ReservationsDeps, caller: Principal, id: string): Promise<Booking> {
  const [booking] = await sql.rows<Booking>(queries.readBooking(id));
  if (!booking || !visibleTo(caller, booking)) throw notFound(`reservation ${id}`);
  return booking;
}

/** Each state change of a booking, oldest first: for its owner and staff, 404 for anyone else, as `get`. */
export async function history(deps: ReservationsDeps, caller: Principal, id: string): Promise<BookingHistory> {
  const { rooms } = await get(deps, caller, id);
  const entries = await deps.db.reservationHistory.findMany({ where: { reservationId: id }, orderBy: { id: "asc" } });
  return {
    reservationId: id,
    rooms,
    entries: entries.map(({ at, status, reason, cause, messageId, traceId }) => ({
      at,
      status,
      reason,
      cause: cause as BookingHistory["entries"][number]["cause"],
      messageId,
      traceId,
    })),
  };
}

/**
 * A page of bookings from a keyset cursor (no offset: pages never overlap): a guest's own, newest
 * first; with a staff token, another guest's (`guestId`) or, without one, the hotel's list of every
 * guest's bookings by check-in (the front desk's arrivals). Either may be narrowed by status, room
 * and check-in dates.
 */
export async function list({ sql }: ReservationsDeps, caller: Principal, query: ListQuery) {
  if (query.guestId !== undefined && !caller.staff) {
    throw new AppError(403, "FORBIDDEN", "Only staff may list another guest's bookings", [
      { field: "querystring.guestId", message: "needs a staff token" },
    ]);
  }
  const { cursor, limit, guestId, ...filters } = query;
  const hotel = caller.staff && guestId === undefined;
  if (cursor && (cursor.order === "checkIn") !== hotel) {
    throw new AppError(400, "VALIDATION_FAILED", "The cursor is of another list", [
      { field: "querystring.cursor", message: "is not a cursor of this list" },
    ]);
  }
  const rows = await sql.rows<Booking>(
    hotel
      ? queries.hotelBookings(filters, cursor?.order === "checkIn" ? cursor : undefined, limit + 1)
      : queries.guestBookings(
          guestId ?? caller.id,
          filters,
          cursor?.order === "created" ? cursor : undefined,
          limit + 1,
        ),
  );
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const next = rows.length > limit && last ? (hotel ? encodeCheckInCursor(last) : encodeCursor(last)) : null;
  return { items, nextCursor: next };
}
