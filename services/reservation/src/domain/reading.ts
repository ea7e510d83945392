import { formatDate } from "@saga/contracts";
import { AppError, notFound, type Principal } from "@saga/platform";
import type { Reservation } from "../generated/prisma/client.js";
import { type Booking, type BookingHistory, encodeCursor, type ListQuery } from "../schemas/reservations.js";
import type { ReservationsDeps } from "./deps.js";

export const asBooking = (r: Reservation): Booking => ({
  id: r.id,
  guestId: r.guestId,
  roomId: r.roomId,
  guestName: r.guestName,
  checkIn: formatDate(r.checkIn),
  checkOut: formatDate(r.checkOut),
  status: r.status,
  reason: r.reason,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  completedAt: r.completedAt,
});

/** The owner sees their booking, staff see any; anyone else learns exactly what an unknown id tells. */
export const visibleTo = (caller: Principal, booking: { guestId: string | null }) =>
  caller.staff || (booking.guestId !== null && booking.guestId === caller.id);

export async function get({ db }: ReservationsDeps, caller: Principal, id: string): Promise<Booking> {
  const reservation = await db.reservation.findUnique({ where: { id } });
  if (!reservation || !visibleTo(caller, reservation)) throw notFound(`reservation ${id}`);
  return asBooking(reservation);
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
export async function list({ db }: ReservationsDeps, caller: Principal, query: ListQuery) {
  if (query.guestId !== undefined && !caller.staff) {
    throw new AppError(403, "FORBIDDEN", "Only staff may list another guest's bookings", [
      { field: "querystring.guestId", message: "needs a staff token" },
    ]);
  }
  const { cursor, limit, status } = query;
  const rows = await db.reservation.findMany({
    where: {
      guestId: query.guestId ?? caller.id,
      ...(status ? { status } : {}),
      ...(cursor
        ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
  });
  const items = rows.slice(0, limit).map(asBooking);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
