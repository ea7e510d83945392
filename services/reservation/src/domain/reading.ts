import { AppError, notFound, type Principal } from "@saga/platform/http";
import { type Booking, type BookingHistory, encodeCursor, type ListQuery } from "../schemas/reservations.js";
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
  await get(deps, caller, id);
  const entries = await deps.db.reservationHistory.findMany({ where: { reservationId: id }, orderBy: { id: "asc" } });
  return {
    reservationId: id,
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

/** A guest's bookings, newest first, a page at a time from a keyset cursor (no offset: pages never overlap). */
export async function list({ sql }: ReservationsDeps, caller: Principal, query: ListQuery) {
  if (query.guestId !== undefined && !caller.staff) {
    throw new AppError(403, "FORBIDDEN", "Only staff may list another guest's bookings", [
      { field: "querystring.guestId", message: "needs a staff token" },
    ]);
  }
  const { cursor, limit, status } = query;
  const rows = await sql.rows<Booking>(queries.guestBookings(query.guestId ?? caller.id, status, cursor, limit + 1));
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
