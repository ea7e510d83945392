import { createHash } from "node:crypto";
import {
  formatDate,
  newId,
  newRoomCancel,
  newRoomReserve,
  type Topics,
  type TransactionResultMessage,
} from "@saga/contracts";
import {
  AppError,
  type Delivered,
  enqueue,
  notFound,
  PermanentMessageError,
  type Query,
  type Sql,
  type SqlTransaction,
} from "@saga/platform";
import type { PrismaClient, Reservation } from "../generated/prisma/client.js";
import type { Booking, NewReservation } from "../schemas/reservations.js";
import * as queries from "./reservation-queries.js";
import { isFinal, nextState } from "./saga.js";

export interface ReservationsDeps {
  /** Reads (a booking, an Idempotency-Key's earlier booking). */
  db: PrismaClient;
  /** Every write that owes a message, as plain statements (see the platform's sql.ts). */
  sql: Sql;
  topics: Topics;
  sagaDeadlineMs: number;
  /** A room-cancel not confirmed this long after it was sent is sent again (then after twice as long, …). */
  cancelResendMs: number;
  cancelResendMaxMs: number;
}

export type Reservations = ReturnType<typeof createReservations>;

const requestHash = ({ roomId, guestName, checkIn, checkOut }: NewReservation) =>
  createHash("sha256")
    .update(JSON.stringify([roomId, guestName, checkIn, checkOut]))
    .digest("hex");

/** A unique index refused the row (SQLSTATE 23505). */
const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === "23505";

const asBooking = (r: Reservation): Booking => ({
  id: r.id,
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

/** A room-cancel for a booking, keyed by its room. */
function cancelOf({ topics }: ReservationsDeps, booking: queries.OwedCancel) {
  const { id: reservationId, roomId, checkIn, checkOut } = booking;
  const message = newRoomCancel({ reservationId, roomId, checkIn, checkOut });
  return { messageId: message.messageId, topic: topics.roomCancel, key: roomId, payload: message };
}

/** The booking an Idempotency-Key was first used for; refused if the body differs. */
async function replay({ db }: ReservationsDeps, idempotencyKey: string, hash: string): Promise<Booking | null> {
  const earlier = await db.reservation.findUnique({ where: { idempotencyKey } });
  if (earlier && earlier.requestHash !== hash) {
    throw new AppError(409, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used for a different booking", [
      { field: "headers.idempotency-key", message: "already used for a different request body" },
    ]);
  }
  return earlier && asBooking(earlier);
}

/** Stores the booking as PENDING with the room-reserve it owes (the hot path of every booking). */
async function book(deps: ReservationsDeps, input: NewReservation, idempotencyKey?: string): Promise<Booking> {
  const hash = requestHash(input);
  const earlier = idempotencyKey ? await replay(deps, idempotencyKey, hash) : null;
  if (earlier) return earlier;
  const id = newId();
  const { roomId, checkIn, checkOut } = input;
  const reserve = newRoomReserve({ reservationId: id, roomId, checkIn, checkOut });
  const entry = { messageId: reserve.messageId, topic: deps.topics.roomReserve, key: roomId, payload: reserve };
  const row = {
    id,
    ...input,
    idempotencyKey: idempotencyKey ?? null,
    requestHash: hash,
    deadlineMs: deps.sagaDeadlineMs,
  };
  try {
    const [stored] = await deps.sql.rows<Booking>(queries.insertBooking(row, entry));
    if (!stored) throw new Error(`booking ${id} was not stored`);
    return stored;
  } catch (err) {
    // Two requests with the same key raced: the loser answers with the winner's booking.
    const winner = idempotencyKey && isUniqueViolation(err) ? await replay(deps, idempotencyKey, hash) : null;
    if (winner) return winner;
    throw err;
  }
}

async function get({ db }: ReservationsDeps, id: string): Promise<Booking> {
  const reservation = await db.reservation.findUnique({ where: { id } });
  if (!reservation) throw notFound(`reservation ${id}`);
  return asBooking(reservation);
}

/**
 * Asks the room service to give the nights back. A PENDING booking can be cancelled too: the
 * room-cancel follows its room-reserve, and the room service never keeps nights for it.
 */
function cancel(deps: ReservationsDeps, id: string): Promise<Booking> {
  return deps.sql.transaction(async (tx) => {
    const [booking] = await tx.rows<Booking>(queries.lockBooking(id));
    if (!booking) throw notFound(`reservation ${id}`);
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
 * transaction-result, inside the consumer's transaction: moves each booking along the saga, for a
 * chunk of replies in order, in two round trips whatever the chunk's size. A redelivery changes
 * nothing; a CANCEL also settles the room-cancel owed, even when it changes no status.
 */
async function applyResults(tx: SqlTransaction, delivered: Delivered<TransactionResultMessage>[]): Promise<void> {
  if (delivered.length === 0) return;
  const rows = await tx.rows<queries.DeliveryOrBooking>(queries.deliverAndLockBookings(delivered));
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const status = new Map(rows.filter((r) => r.kind === "booking").map((r) => [r.id, r.status]));
  const changed = new Map<string, queries.ResultUpdate>();
  const now = new Date();
  for (const { message: result } of delivered) {
    // Not fresh: delivered before, or a second copy in this very chunk.
    if (!fresh.delete(result.messageId)) continue;
    const current = status.get(result.reservationId);
    if (!current) {
      const reason = `reservation ${result.reservationId} does not exist`;
      throw new PermanentMessageError(reason, { messageId: result.messageId });
    }
    const next = nextState(current, result);
    const confirmsCancel = result.status === "CANCEL";
    if (!next && !confirmsCancel) continue;
    const earlier = changed.get(result.reservationId);
    if (next) status.set(result.reservationId, next.status);
    changed.set(result.reservationId, {
      id: result.reservationId,
      status: next?.status ?? earlier?.status ?? null,
      reason: next ? next.reason : (earlier?.reason ?? null),
      completedAt: next && isFinal(next.status) ? now : (earlier?.completedAt ?? null),
      confirmsCancel: confirmsCancel || earlier?.confirmsCancel === true,
    });
  }
  if (changed.size > 0) await tx.run(queries.writeResults([...changed.values()]));
}

/** In one transaction: marks bookings (an UPDATE returning them) and sends each a room-cancel. */
function sendCancels(deps: ReservationsDeps, mark: Query) {
  return deps.sql.transaction(async (tx) => {
    const owed = await tx.rows<queries.OwedCancel>(mark);
    await enqueue(
      tx,
      owed.map((booking) => cancelOf(deps, booking)),
    );
    return owed.length;
  });
}

/**
 * The reservation service's side of the saga: a guest books and cancels over HTTP, the room
 * service's replies move bookings on, and the sweeps fail overdue bookings and send unconfirmed
 * cancels again. Every state change and the message it owes are written in one transaction.
 */
export function createReservations(deps: ReservationsDeps) {
  return {
    book: (input: NewReservation, idempotencyKey?: string) => book(deps, input, idempotencyKey),
    get: (id: string) => get(deps, id),
    cancel: (id: string) => cancel(deps, id),
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
