import { createHash } from "node:crypto";
import { firstRoomOf, isOneUnit, newId, newRoomReserve, type RoomLine } from "@saga/contracts";
import { AppError, type Principal } from "@saga/platform/http";
import { sqlState } from "@saga/platform/sql";
import type { Booking, NewReservation } from "../schemas/reservations.js";
import type { ReservationsDeps } from "./deps.js";
import * as queries from "./reservation-queries.js";

/** The rooms a request books: its `rooms`, or one unit of its `roomId`. */
const linesOfRequest = ({ roomId, rooms }: NewReservation): [RoomLine, ...RoomLine[]] =>
  (rooms ?? [{ roomId: roomId as string, quantity: 1 }]) as [RoomLine, ...RoomLine[]];

/** The same rooms in any order are the same booking. */
const byRoom = (lines: RoomLine[]) =>
  [...lines].sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));

/**
 * What makes two requests the same booking (a request of one room, without `expectedTotal`, hashes
 * as before either existed; `roomId` and `rooms` naming one unit of it are the same request).
 */
const requestHash = (input: NewReservation, lines: RoomLine[]) =>
  createHash("sha256")
    .update(
      JSON.stringify([
        isOneUnit(lines) ? lines[0].roomId : byRoom(lines).map((l) => [l.roomId, l.quantity]),
        input.guestName,
        input.checkIn,
        input.checkOut,
        ...(input.expectedTotal ? [input.expectedTotal.amount, input.expectedTotal.currency] : []),
      ]),
    )
    .digest("hex");

/**
 * The booking this guest first used an Idempotency-Key for, while the key lives; refused if the
 * body differs. A key past its time to live is forgotten, and the guest may use it again.
 */
async function replay(deps: ReservationsDeps, guestId: string, idempotencyKey: string, hash: string) {
  const [earlier] = await deps.sql.rows<Booking & { requestHash: string }>(
    queries.bookingByKey(guestId, idempotencyKey),
  );
  if (earlier && earlier.createdAt.getTime() <= Date.now() - deps.idempotencyKeyTtlMs) {
    await deps.sql.run(queries.forgetExpiredKey(guestId, idempotencyKey, deps.idempotencyKeyTtlMs));
    return null;
  }
  if (earlier && earlier.requestHash !== hash) {
    throw new AppError(409, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used for a different booking", [
      { field: "headers.idempotency-key", message: "already used for a different request body" },
    ]);
  }
  if (!earlier) return null;
  const { requestHash: _, ...booking } = earlier;
  return booking;
}

const tooManyActive = (max: number) =>
  new AppError(
    409,
    "TOO_MANY_ACTIVE_BOOKINGS",
    `A guest may hold at most ${max} bookings that are pending, confirmed or being cancelled`,
  );

const multiRoomOff = () =>
  new AppError(
    400,
    "MULTI_ROOM_DISABLED",
    "Several rooms or units in one booking are not enabled here yet: book one unit of one room",
    [{ field: "body.rooms", message: "more than one unit is not enabled (MULTI_ROOM_MESSAGES is off)" }],
  );

/**
 * Stores the guest's booking as PENDING with the room-reserve it owes (the hot path of every
 * booking), unless the guest already holds as many active bookings as allowed.
 */
export async function book(deps: ReservationsDeps, guest: Principal, input: NewReservation, idempotencyKey?: string) {
  const lines = linesOfRequest(input);
  const hash = requestHash(input, lines);
  const earlier = idempotencyKey ? await replay(deps, guest.id, idempotencyKey, hash) : null;
  if (earlier) return earlier;
  // Until every room service reads room-reserve version 3, a new booking that needs it is not sent.
  if (!isOneUnit(lines) && !deps.multiRoomMessages) throw multiRoomOff();
  const id = newId();
  const { guestName, checkIn, checkOut, expectedTotal } = input;
  const roomId = lines[0].roomId;
  const reserve = newRoomReserve({
    reservationId: id,
    rooms: lines,
    checkIn,
    checkOut,
    ...(expectedTotal ? { expectedTotal } : {}),
  });
  const key = firstRoomOf(reserve);
  const entry = { messageId: reserve.messageId, topic: deps.topics.roomReserve, key, payload: reserve };
  const row = {
    id,
    guestId: guest.id,
    maxActive: deps.maxActivePerGuest,
    roomId,
    rooms: isOneUnit(lines) ? null : lines,
    guestName,
    checkIn,
    checkOut,
    idempotencyKey: idempotencyKey ?? null,
    requestHash: hash,
    deadlineMs: deps.sagaDeadlineMs,
  };
  try {
    const [stored] = await deps.sql.rows<Booking>(queries.insertBooking(row, entry));
    if (!stored) throw tooManyActive(deps.maxActivePerGuest);
    return stored;
  } catch (err) {
    // Two requests of one guest with the same key raced: the loser answers with the winner's booking.
    const winner =
      idempotencyKey && sqlState(err) === "23505" ? await replay(deps, guest.id, idempotencyKey, hash) : null;
    if (winner) return winner;
    throw err;
  }
}
