import { createHash } from "node:crypto";
import {
  formatDate,
  newId,
  newRoomCancel,
  newRoomReserve,
  type TransactionResultMessage,
  toUtcDate,
} from "@saga/contracts";
import {
  AppError,
  type Delivered,
  enqueue,
  notFound,
  OUTBOX_CHANNEL,
  PermanentMessageError,
  type SqlTx,
} from "@saga/platform";
import type { Prisma, Reservation, ReservationStatus } from "../generated/prisma/client.js";
import type { ReservationDeps } from "./deps.js";
import { FINAL_STATUSES, nextState } from "./saga.js";

export type Tx = Prisma.TransactionClient;

export interface NewReservation {
  roomId: string;
  guestName: string;
  checkIn: string;
  checkOut: string;
}

function requestHash(input: NewReservation): string {
  const { roomId, guestName, checkIn, checkOut } = input;
  return createHash("sha256")
    .update(JSON.stringify([roomId, guestName, checkIn, checkOut]))
    .digest("hex");
}

async function replay(deps: ReservationDeps, idempotencyKey: string, hash: string): Promise<Reservation | null> {
  const earlier = await deps.db.reservation.findUnique({ where: { idempotencyKey } });
  if (earlier && earlier.requestHash !== hash) {
    throw new AppError(409, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used for a different booking", [
      { field: "headers.idempotency-key", message: "already used for a different request body" },
    ]);
  }
  return earlier;
}

/** A unique index refused the row (SQLSTATE 23505): the booking insert runs as plain SQL. */
const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === "23505";

/**
 * Stores the booking as PENDING and the room-reserve message it owes in one statement, so in one
 * transaction and one round trip (this is the hot path of every booking).
 */
export async function bookRoom(deps: ReservationDeps, input: NewReservation, idempotencyKey?: string) {
  const hash = requestHash(input);
  if (idempotencyKey) {
    const earlier = await replay(deps, idempotencyKey, hash);
    if (earlier) return earlier;
  }
  const id = newId();
  const { roomId, guestName, checkIn, checkOut } = input;
  const message = newRoomReserve({ reservationId: id, roomId, checkIn, checkOut });
  try {
    const [stored] = await deps.sql.$queryRaw<{ createdAt: Date; deadlineAt: Date }[]>`
      WITH booking AS (
        INSERT INTO "reservations" ("id", "room_id", "guest_name", "check_in", "check_out", "idempotency_key",
                                    "request_hash", "deadline_at", "updated_at")
        VALUES (${id}::uuid, ${roomId}::uuid, ${guestName}, ${checkIn}::date, ${checkOut}::date, ${idempotencyKey ?? null},
                ${hash}, now() + ${deps.sagaDeadlineMs}::int * interval '1 millisecond', now())
        RETURNING "created_at", "deadline_at"
      ), queued AS (
        INSERT INTO "outbox" ("message_id", "topic", "key", "payload")
        SELECT ${message.messageId}::uuid, ${deps.topics.roomReserve}, ${roomId}, ${JSON.stringify(message)}::jsonb FROM booking
      )
      SELECT "created_at" AS "createdAt", "deadline_at" AS "deadlineAt",
             (SELECT count(*) FROM (SELECT pg_notify(${OUTBOX_CHANNEL}, '')) AS notify)::int AS "notified"
      FROM booking`;
    if (!stored) throw new Error(`booking ${id} was not stored`);
    const reservation: Reservation = {
      id,
      roomId,
      guestName,
      checkIn: toUtcDate(checkIn),
      checkOut: toUtcDate(checkOut),
      status: "PENDING",
      reason: null,
      idempotencyKey: idempotencyKey ?? null,
      requestHash: hash,
      deadlineAt: stored.deadlineAt,
      createdAt: stored.createdAt,
      updatedAt: stored.createdAt,
      completedAt: null,
    };
    return reservation;
  } catch (err) {
    // Two requests with the same key raced: the loser answers with the winner's booking.
    const winner = idempotencyKey && isUniqueViolation(err) ? await replay(deps, idempotencyKey, hash) : null;
    if (winner) return winner;
    throw err;
  }
}

export async function getReservation({ db }: ReservationDeps, id: string) {
  const reservation = await db.reservation.findUnique({ where: { id } });
  if (!reservation) throw notFound(`reservation ${id}`);
  return reservation;
}

async function lockReservation(tx: Tx, id: string): Promise<Reservation | null> {
  await tx.$queryRaw`SELECT 1 FROM "reservations" WHERE "id" = ${id}::uuid FOR UPDATE`;
  return tx.reservation.findUnique({ where: { id } });
}

function cancelMessageFor(deps: ReservationDeps, reservation: Reservation) {
  const message = newRoomCancel({
    reservationId: reservation.id,
    roomId: reservation.roomId,
    checkIn: formatDate(reservation.checkIn),
    checkOut: formatDate(reservation.checkOut),
  });
  return { messageId: message.messageId, topic: deps.topics.roomCancel, key: reservation.roomId, payload: message };
}

/**
 * Asks the room service to give the nights back. A PENDING booking can be cancelled too: the
 * room-cancel follows its room-reserve, and the room service never keeps nights for it.
 */
export async function cancelReservation(deps: ReservationDeps, id: string) {
  return deps.db.$transaction(async (tx) => {
    const reservation = await lockReservation(tx, id);
    if (!reservation) throw notFound(`reservation ${id}`);
    if (reservation.status === "FAILURE") {
      throw new AppError(
        409,
        "NOT_CANCELLABLE",
        `reservation ${id} failed (${reservation.reason}); there is nothing to cancel`,
      );
    }
    if (reservation.status === "CANCEL" || reservation.status === "CANCEL_PENDING") return reservation;
    const updated = await tx.reservation.update({ where: { id }, data: { status: "CANCEL_PENDING" } });
    await enqueue(tx, [cancelMessageFor(deps, reservation)]);
    return updated;
  });
}

/**
 * transaction-result, inside the consumer's transaction: moves each booking along the saga, for a
 * chunk of replies in order. Two round trips whatever the chunk's size: one records every delivery
 * and locks and reads every booking concerned (in id order, so concurrent chunks never deadlock),
 * one writes every booking that changed. A redelivery changes nothing.
 */
export async function applyResults(tx: SqlTx, delivered: Delivered<TransactionResultMessage>[]): Promise<void> {
  if (delivered.length === 0) return;
  const rows = await tx.$queryRaw<{ kind: "delivery" | "booking"; id: string; status: ReservationStatus | null }[]>`
    WITH delivery AS (
      INSERT INTO "inbox" ("message_id", "topic")
      SELECT * FROM unnest(${delivered.map((d) => d.message.messageId)}::uuid[], ${delivered.map((d) => d.context.topic)}::text[])
      ON CONFLICT DO NOTHING RETURNING "message_id"
    ), booking AS (
      SELECT "id", "status" FROM "reservations"
      WHERE "id" = ANY(${delivered.map((d) => d.message.reservationId)}::uuid[]) ORDER BY "id" FOR UPDATE
    )
    SELECT 'delivery' AS "kind", "message_id"::text AS "id", NULL AS "status" FROM delivery
    UNION ALL
    SELECT 'booking', "id"::text, "status"::text FROM booking`;
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const status = new Map(rows.filter((r) => r.kind === "booking").map((r) => [r.id, r.status as ReservationStatus]));
  const changed = new Map<string, { status: ReservationStatus; reason: string | null; completedAt: Date | null }>();
  for (const { message: result } of delivered) {
    // Not fresh: delivered before, or a second copy in this very chunk.
    if (!fresh.delete(result.messageId)) continue;
    const current = status.get(result.reservationId);
    if (!current) throw new PermanentMessageError(`reservation ${result.reservationId} does not exist`);
    const next = nextState(current, result);
    if (!next) continue;
    status.set(result.reservationId, next.status);
    changed.set(result.reservationId, { ...next, completedAt: FINAL_STATUSES.has(next.status) ? new Date() : null });
  }
  if (changed.size === 0) return;
  const updates = [...changed];
  await tx.$executeRaw`
    UPDATE "reservations" AS r
    SET "status" = u."status"::"ReservationStatus", "reason" = u."reason", "completed_at" = u."completed_at",
        "updated_at" = now()
    FROM unnest(${updates.map(([id]) => id)}::uuid[], ${updates.map(([, u]) => u.status)}::text[],
                ${updates.map(([, u]) => u.reason)}::text[], ${updates.map(([, u]) => u.completedAt)}::timestamptz[])
         AS u("id", "status", "reason", "completed_at")
    WHERE r."id" = u."id"`;
}

/**
 * Fails bookings whose reply did not come before their deadline (reason TIMEOUT) and sends a
 * room-cancel for each, so nights taken by a reply that is still on its way are given back.
 */
export async function expireOverdue(deps: ReservationDeps, limit = 100): Promise<number> {
  return deps.db.$transaction(async (tx) => {
    const overdue = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "reservations" WHERE "status" = 'PENDING' AND "deadline_at" < now()
      ORDER BY "deadline_at" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    if (overdue.length === 0) return 0;
    const ids = overdue.map((row) => row.id);
    await tx.reservation.updateMany({
      where: { id: { in: ids } },
      data: { status: "FAILURE", reason: "TIMEOUT", completedAt: new Date() },
    });
    const expired = await tx.reservation.findMany({ where: { id: { in: ids } } });
    await enqueue(
      tx,
      expired.map((reservation) => cancelMessageFor(deps, reservation)),
    );
    return expired.length;
  });
}
