import type { Booking } from "@saga/reservation";
import type { FastifyInstance } from "fastify";
import { asGuest, asStaff } from "./tokens.js";
import { waitFor } from "./wait.js";

export { FINAL_STATUSES as FINAL } from "@saga/reservation";
export type { Booking };

/** Books as a guest of its own, unless `headers` say who (`asGuest(id)`). */
export async function book(reservation: FastifyInstance, body: object, headers: Record<string, string> = {}) {
  const res = await reservation.inject({
    method: "POST",
    url: "/reservations",
    payload: body,
    headers: { ...asGuest(), ...headers },
  });
  if (res.statusCode !== 202) throw new Error(`booking refused: ${res.statusCode} ${res.body}`);
  return res.json() as Booking;
}

/** Reads a booking as staff, who may read any. */
export async function getBooking(reservation: FastifyInstance, id: string) {
  const res = await reservation.inject({ method: "GET", url: `/reservations/${id}`, headers: asStaff() });
  if (res.statusCode !== 200) throw new Error(`booking ${id}: ${res.statusCode} ${res.body}`);
  return res.json() as Booking;
}

export function waitForStatus(reservation: FastifyInstance, id: string, statuses: readonly Booking["status"][]) {
  return waitFor(
    () => getBooking(reservation, id),
    (booking) => statuses.includes(booking.status),
    { what: `booking ${id} to reach ${statuses.join("|")}` },
  );
}

export async function availability(room: FastifyInstance, roomId: string, from: string, to: string) {
  const res = await room.inject({ method: "GET", url: `/rooms/${roomId}/availability?from=${from}&to=${to}` });
  if (res.statusCode !== 200) throw new Error(`availability: ${res.statusCode} ${res.body}`);
  return (res.json() as { nights: { date: string; available: number }[] }).nights;
}
