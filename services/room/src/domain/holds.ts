import {
  type FailureReason,
  MAX_STAY_NIGHTS,
  newTransactionResult,
  nightsBetween,
  type RoomCancelMessage,
  type RoomReserveMessage,
  type TransactionResultMessage,
} from "@saga/contracts";
import { enqueue, type SqlTx } from "@saga/platform";
import type { RoomDeps } from "./deps.js";

/** The consumer's transaction (plain SQL: see sqlTransactions). */
export type Tx = SqlTx;
type Outcome = { status: "SUCCESS" } | { status: "FAILURE"; reason: FailureReason } | { status: "CANCEL" };

async function reply(tx: Tx, { topics }: RoomDeps, reservationId: string, outcome: Outcome) {
  const result: TransactionResultMessage = newTransactionResult({
    reservationId,
    ...outcome,
  });
  await enqueue(tx, [
    {
      messageId: result.messageId,
      topic: topics.transactionResult,
      key: reservationId,
      payload: result,
    },
  ]);
}

/** Records the delivery and locks the room in one round trip; `fresh` is 0 for a redelivery. */
async function deliverAndLockRoom(tx: Tx, messageId: string, topic: string, roomId: string) {
  const [row] = await tx.$queryRaw<{ fresh: number; units: number | null }[]>`
    WITH delivery AS (
      INSERT INTO "inbox" ("message_id", "topic") VALUES (${messageId}::uuid, ${topic}) ON CONFLICT DO NOTHING RETURNING 1
    )
    SELECT (SELECT count(*) FROM delivery)::int AS "fresh",
           (SELECT "units" FROM "rooms" WHERE "id" = ${roomId}::uuid FOR NO KEY UPDATE) AS "units"`;
  return { fresh: (row?.fresh ?? 0) > 0, units: row?.units ?? undefined };
}

async function takeNights(tx: Tx, message: RoomReserveMessage, units: number | undefined): Promise<Outcome> {
  const { reservationId, roomId, checkIn, checkOut } = message;
  const nights = nightsBetween(checkIn, checkOut);
  if (nights < 1 || nights > MAX_STAY_NIGHTS) return { status: "FAILURE", reason: "INVALID_STAY" };
  if (units === undefined) return { status: "FAILURE", reason: "ROOM_NOT_FOUND" };
  // Read under the room's lock, so a cancel for this reservation committed meanwhile is seen.
  const [seen] = await tx.$queryRaw<{ hold: "HELD" | "RELEASED" | null; full: number }[]>`
    SELECT (SELECT "status"::text FROM "holds" WHERE "reservation_id" = ${reservationId}::uuid) AS "hold",
           (SELECT count(*) FROM "room_nights"
            WHERE "room_id" = ${roomId}::uuid AND "date" >= ${checkIn}::date AND "date" < ${checkOut}::date
              AND "taken" >= ${units})::int AS "full"`;
  if (seen?.hold) return seen.hold === "HELD" ? { status: "SUCCESS" } : { status: "FAILURE", reason: "CANCELLED" };
  if ((seen?.full ?? 0) > 0) return { status: "FAILURE", reason: "NO_AVAILABILITY" };

  await tx.$executeRaw`
    WITH taken AS (
      INSERT INTO "room_nights" ("room_id", "date", "taken")
      SELECT ${roomId}::uuid, night::date, 1
      FROM generate_series(${checkIn}::date, ${checkOut}::date - 1, interval '1 day') AS night
      ON CONFLICT ("room_id", "date") DO UPDATE SET "taken" = "room_nights"."taken" + 1
    )
    INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status")
    VALUES (${reservationId}::uuid, ${roomId}::uuid, ${checkIn}::date, ${checkOut}::date, 'HELD')`;
  return { status: "SUCCESS" };
}

/** room-reserve, inside the consumer's transaction: take every night of the stay or none, and reply. A redelivery changes nothing. */
export async function reserveRoom(tx: Tx, deps: RoomDeps, message: RoomReserveMessage, topic: string): Promise<void> {
  const { fresh, units } = await deliverAndLockRoom(tx, message.messageId, topic, message.roomId);
  if (!fresh) return;
  await reply(tx, deps, message.reservationId, await takeNights(tx, message, units));
}

async function giveBackNights(tx: Tx, message: RoomCancelMessage, units: number | undefined): Promise<void> {
  const { reservationId, roomId, checkIn, checkOut } = message;
  if (units === undefined) return;
  const [hold] = await tx.$queryRaw<{ status: "HELD" | "RELEASED"; check_in: string; check_out: string }[]>`
    SELECT "status", "check_in"::text AS "check_in", "check_out"::text AS "check_out"
    FROM "holds" WHERE "reservation_id" = ${reservationId}::uuid FOR UPDATE`;
  if (!hold) {
    // The cancel overtook its reserve (they travel on different topics): remember it, so the
    // reserve, when it comes, takes nothing.
    await tx.$executeRaw`
      INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status", "released_at")
      VALUES (${reservationId}::uuid, ${roomId}::uuid, ${checkIn}::date, ${checkOut}::date, 'RELEASED', now())`;
    return;
  }
  if (hold.status === "RELEASED") return;
  await tx.$executeRaw`
    WITH released AS (
      UPDATE "holds" SET "status" = 'RELEASED', "released_at" = now() WHERE "reservation_id" = ${reservationId}::uuid
    )
    UPDATE "room_nights" SET "taken" = "taken" - 1
    WHERE "room_id" = ${roomId}::uuid AND "date" >= ${hold.check_in}::date AND "date" < ${hold.check_out}::date`;
}

/** room-cancel: give back exactly the nights this reservation took, and reply CANCEL. */
export async function cancelRoom(tx: Tx, deps: RoomDeps, message: RoomCancelMessage, topic: string): Promise<void> {
  const { fresh, units } = await deliverAndLockRoom(tx, message.messageId, topic, message.roomId);
  if (!fresh) return;
  await giveBackNights(tx, message, units);
  await reply(tx, deps, message.reservationId, { status: "CANCEL" });
}
