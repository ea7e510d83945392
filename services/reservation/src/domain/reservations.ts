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
import { Prisma, type Reservation, type ReservationStatus } from "../generated/prisma/client.js";
import type { ReservationDeps } from "./deps.js";
import { FINAL_STATUSES, nextState, type Transition } from "./saga.js";

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
      cancelDueAt: null,
      cancelAttempts: 0,
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
  const { id, roomId } = reservation;
  return cancelMessage(deps, {
    id,
    roomId,
    checkIn: formatDate(reservation.checkIn),
    checkOut: formatDate(reservation.checkOut),
  });
}

/** A room-cancel was just sent: it is owed until the room service confirms it (see resendCancels). */
const cancelOwed = (deps: ReservationDeps) => ({
  cancelDueAt: new Date(Date.now() + deps.cancelResendMs),
  cancelAttempts: 1,
});

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
    const updated = await tx.reservation.update({
      where: { id },
      data: { status: "CANCEL_PENDING", ...cancelOwed(deps) },
    });
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
  /** Per booking: its new state (null: unchanged), and whether the room service confirmed its cancel. */
  const changed = new Map<string, { next: Transition | null; confirmsCancel: boolean }>();
  for (const { message: result } of delivered) {
    // Not fresh: delivered before, or a second copy in this very chunk.
    if (!fresh.delete(result.messageId)) continue;
    const current = status.get(result.reservationId);
    if (!current) {
      throw new PermanentMessageError(`reservation ${result.reservationId} does not exist`, {
        messageId: result.messageId,
      });
    }
    const next = nextState(current, result);
    // A CANCEL settles the room-cancel owed, even when it changes no status (a booking that timed out).
    const confirmsCancel = result.status === "CANCEL";
    if (!next && !confirmsCancel) continue;
    const earlier = changed.get(result.reservationId);
    if (next) status.set(result.reservationId, next.status);
    changed.set(result.reservationId, {
      next: next ?? earlier?.next ?? null,
      confirmsCancel: confirmsCancel || earlier?.confirmsCancel === true,
    });
  }
  if (changed.size === 0) return;
  const updates = [...changed];
  const now = new Date();
  await tx.$executeRaw`
    UPDATE "reservations" AS r
    SET "status" = COALESCE(u."status"::"ReservationStatus", r."status"),
        "reason" = CASE WHEN u."status" IS NULL THEN r."reason" ELSE u."reason" END,
        "completed_at" = CASE WHEN u."status" IS NULL THEN r."completed_at" ELSE u."completed_at" END,
        "cancel_due_at" = CASE WHEN u."confirms_cancel" THEN NULL ELSE r."cancel_due_at" END,
        "updated_at" = now()
    FROM unnest(${updates.map(([id]) => id)}::uuid[], ${updates.map(([, u]) => u.next?.status ?? null)}::text[],
                ${updates.map(([, u]) => u.next?.reason ?? null)}::text[],
                ${updates.map(([, u]) => (u.next && FINAL_STATUSES.has(u.next.status) ? now : null))}::timestamptz[],
                ${updates.map(([, u]) => u.confirmsCancel)}::boolean[])
         AS u("id", "status", "reason", "completed_at", "confirms_cancel")
    WHERE r."id" = u."id"`;
}

/** A booking whose room-cancel is being sent, as the statement that marks it returns it. */
interface OwedCancel {
  id: string;
  roomId: string;
  checkIn: string;
  checkOut: string;
}

const cancelMessage = (deps: ReservationDeps, booking: OwedCancel) => {
  const message = newRoomCancel({
    reservationId: booking.id,
    roomId: booking.roomId,
    checkIn: booking.checkIn,
    checkOut: booking.checkOut,
  });
  return { messageId: message.messageId, topic: deps.topics.roomCancel, key: booking.roomId, payload: message };
};

const RETURNING_OWED = Prisma.raw(`RETURNING r."id"::text AS "id", r."room_id"::text AS "roomId",
  to_char(r."check_in", 'YYYY-MM-DD') AS "checkIn", to_char(r."check_out", 'YYYY-MM-DD') AS "checkOut"`);

/** In one transaction: marks bookings (an `UPDATE … ${RETURNING_OWED}`) and sends each a room-cancel. */
function sendCancels(deps: ReservationDeps, mark: (tx: Tx) => Promise<OwedCancel[]>): Promise<number> {
  return deps.db.$transaction(async (tx) => {
    const owed = await mark(tx);
    await enqueue(
      tx,
      owed.map((booking) => cancelMessage(deps, booking)),
    );
    return owed.length;
  });
}

/**
 * Fails up to `limit` bookings whose reply did not come before their deadline (reason TIMEOUT) and
 * sends a room-cancel for each, so nights taken by a reply that is still on its way are given back;
 * that cancel is owed until confirmed. Returns how many it failed.
 */
export function expireOverdue(deps: ReservationDeps, limit: number): Promise<number> {
  return sendCancels(
    deps,
    (tx) => tx.$queryRaw<OwedCancel[]>`
      UPDATE "reservations" AS r
      SET "status" = 'FAILURE', "reason" = 'TIMEOUT', "completed_at" = now(), "updated_at" = now(),
          "cancel_due_at" = now() + ${deps.cancelResendMs}::int * interval '1 millisecond', "cancel_attempts" = 1
      FROM (SELECT "id" FROM "reservations" WHERE "status" = 'PENDING' AND "deadline_at" < now()
            ORDER BY "deadline_at" LIMIT ${limit} FOR UPDATE SKIP LOCKED) AS overdue
      WHERE r."id" = overdue."id"
      ${RETURNING_OWED}`,
  );
}

/**
 * Sends again, for up to `limit` bookings, the room-cancel the room service has not confirmed in
 * time: it may have been dead-lettered, deleted, or outlived by the topic's retention while the
 * room service was away. Each re-send waits twice as long as the one before, at most
 * `cancelResendMaxMs`; the room service's answer to a cancel is the same however often it comes.
 * Returns how many it sent.
 */
export function resendCancels(deps: ReservationDeps, limit: number): Promise<number> {
  return sendCancels(
    deps,
    (tx) => tx.$queryRaw<OwedCancel[]>`
      UPDATE "reservations" AS r
      SET "cancel_attempts" = r."cancel_attempts" + 1, "updated_at" = now(),
          "cancel_due_at" = now() + LEAST(${deps.cancelResendMs}::float8 * power(2, r."cancel_attempts"),
                                          ${deps.cancelResendMaxMs}::float8) * interval '1 millisecond'
      FROM (SELECT "id" FROM "reservations" WHERE "cancel_due_at" <= now()
            ORDER BY "cancel_due_at" LIMIT ${limit} FOR UPDATE SKIP LOCKED) AS owed
      WHERE r."id" = owed."id"
      ${RETURNING_OWED}`,
  );
}
